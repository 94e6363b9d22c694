"""Where a buyer ships to: the checkout form starts from the address of
their last order (one query), so a second purchase is one tap."""

from __future__ import annotations

from typing import Any

from shop.models import Order


def shipping_last_used(buyer: Any) -> dict[str, str]:
    """``{name, phone, address}`` of ``buyer``'s latest order that had an
    address, or ``{}``."""
    if not getattr(buyer, "is_authenticated", False):
        return {}
    row = (
        Order.objects.filter(buyer_id=buyer.pk)
        .exclude(ship_address="")
        .order_by("-id")
        .values("ship_name", "ship_phone", "ship_address")
        .first()
    )
    if row is None:
        return {}
    return {"name": row["ship_name"], "phone": row["ship_phone"], "address": row["ship_address"]}
