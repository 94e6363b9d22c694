"""A member's cart: one line per product (and variant), with the source
that brought the member to it.

- :func:`cart_item_add` adds units: the same product and variant is one
  line whose quantity adds up (at most ``rules.CART_QUANTITY_MAX``), and the
  latest source wins (a line added again without a source keeps none);
- :func:`cart_item_set_quantity` sets a line's quantity;
- :func:`cart_item_remove` takes a line out.

A source is ``{"note": id}`` (a published note), ``{"live_session": id}``
(a session that exists) or None: :func:`source_check` turns it into
``(note, session)``; anything else is ``invalid_source``. Another member's
line is ``not_found``, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Least

from community.models import Note, User
from community.permissions import check_authenticated
from live.models import LiveSession
from shop import rules
from shop.errors import (
    CartFull,
    InvalidSource,
    NotFound,
    OwnProduct,
    ProductUnavailable,
    ValidationFailed,
)
from shop.models import CartItem, Product, ProductVariant


def source_check(source: Mapping[str, Any] | None) -> tuple[Note | None, LiveSession | None]:
    """``(note, session)`` named by ``source`` (at most one is set);
    ``invalid_source`` unless it is None/empty, ``{"note": <published
    note id>}`` or ``{"live_session": <session id>}``."""
    if not source:
        return None, None
    if not isinstance(source, Mapping) or len(source) != 1:
        raise InvalidSource(fields={"source": ['{"note": id} or {"live_session": id}.']})
    (kind, raw_id), *_ = source.items()
    if kind not in ("note", "live_session") or type(raw_id) is not int or not 0 < raw_id < 2**63:
        raise InvalidSource(fields={"source": ['{"note": id} or {"live_session": id}.']})
    if kind == "note":
        note = Note.objects.filter(pk=raw_id, status=Note.Status.PUBLISHED).first()
        if note is None:
            raise InvalidSource(fields={"source": ["No such published note."]})
        return note, None
    session = LiveSession.objects.filter(pk=raw_id).first()
    if session is None:
        raise InvalidSource(fields={"source": ["No such live session."]})
    return None, session


def _check_quantity(quantity: Any, *, field: str = "quantity") -> int:
    if type(quantity) is not int or not 1 <= quantity <= rules.CART_QUANTITY_MAX:
        raise ValidationFailed(
            fields={field: [f"A whole number from 1 to {rules.CART_QUANTITY_MAX}."]}
        )
    return quantity


def buyable_product(
    *, product_id: Any, variant_id: Any, buyer: User
) -> tuple[Product, ProductVariant | None]:
    """The product (with its shop) and variant a member may buy:
    ``not_found`` when it does not exist or is hidden from them,
    ``product_unavailable`` when hidden, in a closed shop or the variant is
    not its own (or it has variants and none is named), ``own_product`` for
    its seller."""
    if type(product_id) is not int or not 0 < product_id < 2**63:
        raise ValidationFailed(fields={"product": ["A product id."]})
    if variant_id is not None and (type(variant_id) is not int or not 0 < variant_id < 2**63):
        raise ValidationFailed(fields={"variant": ["A variant id of the product."]})
    product = Product.objects.select_related("shop").filter(pk=product_id).first()
    if product is None or (
        (product.is_hidden or not product.shop.is_open) and product.shop.owner_id != buyer.pk
    ):
        raise NotFound("No such product.")
    if product.shop.owner_id == buyer.pk:
        raise OwnProduct()
    variant = None
    if variant_id is not None:
        variant = ProductVariant.objects.filter(pk=variant_id, product=product).first()
        if variant is None:
            raise ProductUnavailable(
                "This variant is not one of the product's.",
                fields={"variant": ["A variant id of the product."]},
            )
    elif ProductVariant.objects.filter(product=product).exists():
        raise ProductUnavailable(
            "Choose one of the product's variants.",
            fields={"variant": ["This product comes in variants: name one."]},
        )
    return product, variant


def cart_item_add(
    *,
    user: User,
    product_id: int,
    variant_id: int | None = None,
    quantity: int = 1,
    source: Mapping[str, Any] | None = None,
) -> CartItem:
    """Add ``quantity`` units of a product (variant) to ``user``'s cart and
    return the line. See the module's docstring for the rules; stock is not
    reserved here (checkout does), so a cart may hold more than is left."""
    member = check_authenticated(user)
    quantity = _check_quantity(quantity)
    product, variant = buyable_product(product_id=product_id, variant_id=variant_id, buyer=member)
    note, session = source_check(source)
    lookup = {"user": member, "product": product, "variant": variant}
    with transaction.atomic():
        updated = CartItem.objects.filter(**lookup).update(
            quantity=Least(F("quantity") + quantity, rules.CART_QUANTITY_MAX),
            source_note=note,
            source_session=session,
        )
        if not updated:
            if CartItem.objects.filter(user=member).count() >= rules.CART_LINES_MAX:
                raise CartFull()
            try:
                with transaction.atomic():
                    CartItem.objects.create(
                        **lookup, quantity=quantity, source_note=note, source_session=session
                    )
            except IntegrityError:  # the same line added concurrently
                CartItem.objects.filter(**lookup).update(
                    quantity=Least(F("quantity") + quantity, rules.CART_QUANTITY_MAX),
                    source_note=note,
                    source_session=session,
                )
        return CartItem.objects.get(**lookup)


def _own_item(*, user: User, item_id: Any) -> CartItem:
    member = check_authenticated(user)
    if type(item_id) is not int or not 0 < item_id < 2**63:
        raise NotFound("No such cart item.")
    item = CartItem.objects.filter(pk=item_id, user=member).first()
    if item is None:
        raise NotFound("No such cart item.")
    return item


def cart_item_set_quantity(*, user: User, item_id: int, quantity: int) -> CartItem:
    """Set one of ``user``'s lines to ``quantity`` units (1 to
    ``rules.CART_QUANTITY_MAX``); ``not_found`` for another member's line."""
    quantity = _check_quantity(quantity)
    item = _own_item(user=user, item_id=item_id)
    item.quantity = quantity
    item.save(update_fields=["quantity", "updated_at"])
    return item


def cart_item_remove(*, user: User, item_id: int) -> None:
    """Take one of ``user``'s lines out of their cart; ``not_found`` for
    another member's line (or one already gone)."""
    item = _own_item(user=user, item_id=item_id)
    item.delete()
