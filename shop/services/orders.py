"""Orders: placing them (stock reserved, prices frozen, payment charged),
checking the cart out, and every transition after.

Status flow, each transition only from the states it leaves (else 409 with
a code naming it):

- ``pending`` -> ``paid``: the provider's callback says the payment succeeded;
- ``pending`` -> ``cancelled``: the payment failed, the reservation expired,
  or the buyer cancelled;
- ``paid`` -> ``shipped`` (the seller, with optional tracking) ->
  ``delivered`` (the buyer confirms);
- ``paid`` -> ``cancelled``: the buyer, before shipping (the money back);
- ``paid`` / ``shipped`` / ``delivered`` -> ``refunded``: the seller, or a
  member with ``shop.refund_order``, with a reason.

Stock
=====
:func:`order_place` reserves units with one conditional UPDATE per line
(``stock = stock - q WHERE stock >= q``, on the variant when the line has
one and on the product, whose stock is then its variants' sum), in
(product, variant) order so two checkouts
never lock rows in opposite orders; a flash sale's order also takes
``FlashSale.remaining`` the same way, first. The database refuses to go
below zero (and CHECK constraints back it), so concurrent buyers can never
oversell: the loser of the last unit gets ``insufficient_stock`` (or
``sold_out``) and its transaction rolls back. The units come back
(:func:`order_release`, once: ``Order.stock_released``) when the payment
fails, the buyer cancels, the reservation expires (``reserved_until``,
swept by ``shop.tasks.release_expired_reservations``) or a paid order is
refunded before it shipped. Shipped goods are not restocked by a refund.

Payment
=======
The order is charged through the wallet's provider
(``wallet.services.payment_create`` / ``payment_start``, purpose
``order``). The wallet calls back :func:`order_payment_succeeded` or
:func:`order_payment_failed` (registered in ``ShopConfig.ready`` as the
``order`` payment purpose) from its one callback path, whether the
provider's callback arrives over HTTP or, with the sandbox, at once: so
with the sandbox a checkout's order comes back ``paid``. A flash sale's
order (:func:`flash_order_place`, the lean path of a sale's opening second)
is charged after its commit instead, by the task ``shop.tasks.charge_order``
(:func:`order_charge`): it is answered ``pending``. The money is booked by
``shop.services.money``. A payment that succeeds after its order was
cancelled (its reservation expired meanwhile) is booked and refunded at
once: the order stays cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

import shop.services.money as money
import wallet.services as wallet_services
from community.models import Note, User
from community.permissions import check_authenticated
from core.money import currency
from live.models import LiveSession
from shop import rules
from shop.errors import (
    EmptyCart,
    FlashSoldOut,
    InsufficientStock,
    NotAllowedToRefund,
    NotTheBuyer,
    NotTheSeller,
    OrderNotCancellable,
    OrderNotDeliverable,
    OrderNotFound,
    OrderNotRefundable,
    OrderNotShippable,
    OwnProduct,
    ProductUnavailable,
    SeveralShops,
    ValidationFailed,
)
from shop.gate import flash_ticket_return
from shop.models import CartItem, FlashSale, Order, OrderLine, Product, ProductVariant, Shop
from shop.selectors.access import is_shop_moderator
from shop.selectors.orders import order_payload
from shop.services.cart import source_check
from wallet.models import Entry, Payment
from wallet.services.idempotency import operation_run_once

CHECKOUT_SCOPE = "shop_checkout"
Status = Order.Status


@dataclass(frozen=True)
class LineRequest:
    """One line to order: a product (a variant of it), how many, and its
    source (``{"note": id}``, ``{"live_session": id}`` or None, checked like
    a cart line's)."""

    product_id: int
    variant_id: int | None = None
    quantity: int = 1
    source: Mapping[str, Any] | None = None


def reservation_seconds() -> int:
    return int(getattr(settings, "SPROUT_SHOP_RESERVATION_SECONDS", 900))


@dataclass
class _Resolved:
    index: int
    request: LineRequest
    product: Product
    variant: ProductVariant | None
    note: Note | None
    session: LiveSession | None


def _resolve(buyer: User, lines: Sequence[LineRequest]) -> list[_Resolved]:
    """Each line's product (with its shop) and variant, in a fixed number of
    queries; every line must be buyable and from one shop."""
    if not lines:
        raise EmptyCart()
    if len(lines) > rules.CART_LINES_MAX:
        raise ValidationFailed(fields={"lines": [f"At most {rules.CART_LINES_MAX} lines."]})
    for line in lines:
        if type(line.quantity) is not int or not 1 <= line.quantity <= rules.CART_QUANTITY_MAX:
            raise ValidationFailed(
                fields={"quantity": [f"A whole number from 1 to {rules.CART_QUANTITY_MAX}."]}
            )
    products = Product.objects.select_related("shop").in_bulk({ln.product_id for ln in lines})
    variant_ids = {ln.variant_id for ln in lines if ln.variant_id is not None}
    variants = ProductVariant.objects.in_bulk(variant_ids) if variant_ids else {}
    with_variants = set(
        ProductVariant.objects.filter(product_id__in=list(products))
        .values_list("product_id", flat=True)
        .distinct()
    )
    resolved = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None:
            raise ProductUnavailable("No such product.", fields={"lines": [f"line {index}"]})
        if product.shop.owner_id == buyer.pk:
            raise OwnProduct()
        if product.is_hidden or not product.shop.is_open:
            raise ProductUnavailable(fields={"lines": [f"line {index}: product {product.pk}"]})
        variant = variants.get(line.variant_id) if line.variant_id is not None else None
        if (
            line.variant_id is not None and (variant is None or variant.product_id != product.pk)
        ) or (line.variant_id is None and product.pk in with_variants):
            raise ProductUnavailable(
                "Choose one of the product's variants.",
                fields={"lines": [f"line {index}: product {product.pk}"]},
            )
        note, session = source_check(line.source)
        resolved.append(_Resolved(index, line, product, variant, note, session))
    if len({r.product.shop_id for r in resolved}) > 1:
        raise SeveralShops()
    return resolved


def _reserve(resolved: list[_Resolved], flash_sale: FlashSale | None) -> None:
    """Take the units (module docstring), or raise naming the first line
    that cannot have them."""
    if flash_sale is not None:
        quantity = sum(r.request.quantity for r in resolved)
        taken = FlashSale.objects.filter(
            pk=flash_sale.pk, cancelled_at__isnull=True, remaining__gte=quantity
        ).update(remaining=F("remaining") - quantity)
        if taken != 1:
            raise FlashSoldOut()
    for r in sorted(resolved, key=lambda r: (r.product.pk, r.variant.pk if r.variant else 0)):
        q = r.request.quantity
        taken = 1
        if r.variant is not None:
            taken = ProductVariant.objects.filter(pk=r.variant.pk, stock__gte=q).update(
                stock=F("stock") - q
            )
        if taken == 1:
            # A product with variants keeps its stock as their sum
            # (shop.services.products): the product's row goes down too.
            taken = Product.objects.filter(pk=r.product.pk, stock__gte=q).update(
                stock=F("stock") - q
            )
        if taken != 1:
            raise InsufficientStock(
                product_id=r.product.pk,
                variant_id=r.variant.pk if r.variant else None,
                title=r.product.title,
                line=r.index,
            )


def _affiliate_id(r: _Resolved, *, buyer: User) -> int | None:
    """Who earns this line's commission (``shop.services.money``), if anyone."""
    if r.note is not None:
        affiliate_id = r.note.author_id
    elif r.session is not None:
        affiliate_id = r.session.room.host_id
    else:
        return None
    if (
        not r.product.open_to_affiliates
        or not r.product.commission_bps
        or affiliate_id in (r.product.shop.owner_id, buyer.pk)
    ):
        return None
    return int(affiliate_id)


def _order_line(r: _Resolved, *, unit_price: int, buyer: User) -> OrderLine:
    """An order line (unsaved) for ``r`` at ``unit_price``: its total, its
    commission and who earns it, its title and source."""
    line_total = unit_price * r.request.quantity
    affiliate_id = _affiliate_id(r, buyer=buyer)
    commission = (
        money.line_commission(line_total, r.product.commission_bps)
        if affiliate_id is not None
        else 0
    )
    return OrderLine(
        product=r.product,
        variant=r.variant,
        title=r.product.title + (f" ({r.variant.name})" if r.variant else ""),
        unit_price=unit_price,
        quantity=r.request.quantity,
        line_total=line_total,
        commission_bps=r.product.commission_bps if affiliate_id else 0,
        commission=commission,
        affiliate_id=affiliate_id,
        source_note=r.note,
        source_session=r.session,
    )


def _order_of(
    *, buyer: User, shop: Shop, lines: Sequence[OrderLine], flash_sale: FlashSale | None
) -> Order:
    """A pending order (unsaved) of ``lines``: its totals, fee, commission and
    the seller's share, reserved for :func:`reservation_seconds`."""
    total = sum(line.line_total for line in lines)
    fee = sum(money.line_fee(line.line_total) for line in lines)
    commission_total = sum(line.commission for line in lines)
    return Order(
        buyer=buyer,
        shop=shop,
        flash_sale=flash_sale,
        currency=currency(),
        subtotal=total,
        total=total,
        platform_fee=fee,
        commission=commission_total,
        seller_amount=total - fee - commission_total,
        reserved_until=timezone.now() + timedelta(seconds=reservation_seconds()),
    )


def _shipping(shipping: Mapping[str, Any] | None) -> dict[str, str]:
    limits = {
        "name": rules.SHIP_NAME_MAX_LENGTH,
        "phone": rules.SHIP_PHONE_MAX_LENGTH,
        "address": rules.SHIP_ADDRESS_MAX_LENGTH,
    }
    if not shipping:
        return {}
    if not isinstance(shipping, Mapping) or set(shipping) - set(limits):
        raise ValidationFailed(fields={"shipping": ["{name, phone, address}."]})
    clean = {}
    for name, limit in limits.items():
        value = shipping.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise ValidationFailed(fields={f"shipping.{name}": [f"Text of at most {limit}."]})
        clean[name] = value.strip()
    return clean


def order_place(
    *,
    buyer: User,
    lines: Sequence[LineRequest],
    flash_sale: FlashSale | None = None,
    shipping: Mapping[str, Any] | None = None,
) -> Order:
    """Place and pay an order of ``lines`` from one shop (module docstring).

    Runs in the caller's transaction (an idempotency record's, as
    :func:`checkout` and the flash-sale buy do; a savepoint of its own
    otherwise): every error rolls the reservation back. Raises
    ``empty_cart``, ``several_shops``, ``own_product``,
    ``product_unavailable``, ``invalid_source``, ``insufficient_stock``
    (naming the line), ``sold_out`` (a flash sale's units are gone or it was
    cancelled), ``payments_unavailable``. Returns the order as the payment
    left it: ``paid`` (the sandbox), ``pending`` (a provider that calls back
    later) or ``cancelled`` (the charge was refused: the stock is back).

    With ``flash_sale``, every line must be the sale's product (and
    variant), at the sale's price; checking its start and end is the
    caller's job (``shop.services.flash``)."""
    member = check_authenticated(buyer)
    ship = _shipping(shipping)
    with transaction.atomic():
        resolved = _resolve(member, lines)
        if flash_sale is not None:
            for r in resolved:
                if (
                    r.product.pk != flash_sale.product_id
                    or (r.variant.pk if r.variant else None) != flash_sale.variant_id
                ):
                    raise ProductUnavailable("This line is not the flash sale's product.")
        _reserve(resolved, flash_sale)
        order_lines = [
            _order_line(
                r,
                unit_price=flash_sale.price if flash_sale is not None else r.product.price,
                buyer=member,
            )
            for r in resolved
        ]
        order = _order_of(
            buyer=member, shop=resolved[0].product.shop, lines=order_lines, flash_sale=flash_sale
        )
        order.ship_name = ship.get("name", "")
        order.ship_phone = ship.get("phone", "")
        order.ship_address = ship.get("address", "")
        order.save(force_insert=True)
        for line in order_lines:
            line.order = order
        OrderLine.objects.bulk_create(order_lines)
        payment = wallet_services.payment_create(
            user=member, amount=order.total, purpose=money.ORDER_PURPOSE
        )
        order.payment = payment
        order.save(update_fields=["payment"])
        wallet_services.payment_start(payment)
        order.refresh_from_db()
        return order


# --- a flash sale's order: the lean path -------------------------------------------------------


@dataclass(frozen=True)
class FlashOrderPlaced:
    """What :func:`flash_order_place` made: the order (pending), its lines,
    and ``reserve``, the step that takes the units, to be run last in the
    same transaction."""

    order: Order
    lines: list[OrderLine]
    reserve: Callable[[], None]


def flash_order_place(
    *, buyer: User, sale: FlashSale, source: Mapping[str, Any] | None = None
) -> FlashOrderPlaced:
    """One unit of ``sale`` at its price for ``buyer``, in as few statements
    as the sale's opening second allows (``docs/performance.md``, "Flash
    sales"): ``sale`` comes with its product, shop, owner and variant
    loaded (``shop.services.flash``) and annotated ``product_has_variants``,
    so the checks of :func:`order_place` cost no query; the payment, the
    order and its line are three INSERTs; the units (the sale's
    ``remaining``, the variant's and the product's stock: the hot rows every
    buyer updates) are taken by ``reserve``, which the caller runs last in
    its transaction, so their row locks are held until the commit only.

    The order is ``pending``: its payment is charged after the commit by
    the task ``shop.tasks.charge_order`` (:func:`order_charge`), and the
    provider's callback makes it ``paid`` (or, refused, ``cancelled`` with
    its unit back), as for any provider that answers later. Raises
    ``own_product``, ``product_unavailable``, ``invalid_source``; ``reserve``
    raises ``sold_out`` or ``insufficient_stock``. Checking the sale's start
    and end is the caller's job."""
    member = check_authenticated(buyer)
    product = sale.product
    if product.shop.owner_id == member.pk:
        raise OwnProduct()
    if product.is_hidden or not product.shop.is_open:
        raise ProductUnavailable(fields={"lines": [f"line 0: product {product.pk}"]})
    if sale.variant_id is None and getattr(sale, "product_has_variants", False):
        raise ProductUnavailable(
            "Choose one of the product's variants.",
            fields={"lines": [f"line 0: product {product.pk}"]},
        )
    note, session = source_check(source)
    request = LineRequest(
        product_id=product.pk, variant_id=sale.variant_id, quantity=1, source=source
    )
    resolved = _Resolved(0, request, product, sale.variant, note, session)
    line = _order_line(resolved, unit_price=sale.price, buyer=member)
    order = _order_of(buyer=member, shop=product.shop, lines=[line], flash_sale=sale)
    order.payment = wallet_services.payment_create(
        user=member, amount=order.total, purpose=money.ORDER_PURPOSE
    )
    order.save(force_insert=True)
    line.order = order
    line.save(force_insert=True)
    order_id = order.pk

    def charge() -> None:
        from shop.tasks import charge_order

        charge_order.delay(order_id)

    # robust: the order is committed whatever the broker says; an order whose
    # charge never runs is released when its reservation expires.
    transaction.on_commit(charge, robust=True)
    return FlashOrderPlaced(order=order, lines=[line], reserve=lambda: _reserve([resolved], sale))


def order_charge(order: Order | int) -> bool:
    """Ask the provider to charge a pending order's payment, once (the task
    ``shop.tasks.charge_order``, after the order committed): with the
    sandbox the callback comes back at once and the order is ``paid``
    before this returns; a refused charge cancels it and gives its units
    back. Nothing happens to an order no longer pending (cancelled or
    expired meanwhile) or already charged: False then."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=_order_id(order)).first()
        if locked is None or locked.status != Status.PENDING or locked.payment_id is None:
            return False
        return wallet_services.payment_start_once(locked.payment_id) is not None


# --- checkout ----------------------------------------------------------------------------


def _cart_lines(member: User, items: Sequence[int] | None) -> list[CartItem]:
    cart = CartItem.objects.filter(user=member).select_related("source_note")
    if items is not None:
        wanted = set(items)
        cart = cart.filter(pk__in=wanted)
        found = list(cart.order_by("id"))
        if len(found) != len(wanted):
            raise ValidationFailed(fields={"items": ["Ids of items in your cart."]})
        return found
    return list(cart.order_by("id"))


def _as_source(item: CartItem) -> dict[str, int] | None:
    # A source that went away meanwhile (a note unpublished or deleted, a
    # session deleted) is dropped, not a reason to refuse the checkout.
    if item.source_note is not None and item.source_note.status == Note.Status.PUBLISHED:
        return {"note": item.source_note.pk}
    if item.source_session_id is not None:
        return {"live_session": item.source_session_id}
    return None


def checkout(
    *,
    user: User,
    idempotency_key: str,
    items: Sequence[int] | None = None,
    shipping: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Turn the cart (or only its ``items``, ids of the caller's cart lines,
    all from one shop) into an order, once per idempotency key: the order's
    payload (``shop.selectors.order_payload``) with ``replayed``. The same
    key again returns the first answer (``replayed: true``); with other
    items or shipping it is refused (``idempotency_conflict``). The lines
    ordered leave the cart unless the payment was refused. Raises what
    :func:`order_place` raises, ``empty_cart``, and ``invalid`` for
    ``items`` that are not the caller's."""
    member = check_authenticated(user)
    if items is not None:
        if not isinstance(items, (list, tuple)) or not all(
            type(i) is int and 0 < i < 2**63 for i in items
        ):
            raise ValidationFailed(fields={"items": ["Ids of items in your cart."]})
        if not items:
            raise EmptyCart()
    ship = _shipping(shipping)
    params = {"items": sorted(set(items)) if items is not None else None, "shipping": ship}

    def operation() -> tuple[Entry | None, dict[str, Any]]:
        cart = _cart_lines(member, items)
        if not cart:
            raise EmptyCart()
        order = order_place(
            buyer=member,
            lines=[
                LineRequest(
                    product_id=item.product_id,
                    variant_id=item.variant_id,
                    quantity=item.quantity,
                    source=_as_source(item),
                )
                for item in cart
            ],
            shipping=ship,
        )
        if order.status != Status.CANCELLED:
            CartItem.objects.filter(pk__in=[item.pk for item in cart]).delete()
        return order.payment_entry, order_payload(order, viewer=member)

    response, replayed = operation_run_once(
        user=member, scope=CHECKOUT_SCOPE, key=idempotency_key, params=params, operation=operation
    )
    return {**response, "replayed": replayed}


# --- the payment's outcome (the wallet's ``order`` payment purpose) ----------------------


def _locked(order_id: int) -> Order:
    return Order.objects.select_for_update().select_related("shop").get(pk=order_id)


def order_payment_succeeded(payment: Payment) -> Entry:
    """The wallet's callback for a succeeded order payment (in its
    transaction): book the money; the order becomes ``paid``, or, when it
    was cancelled meanwhile, is refunded at once."""
    order = _locked(Order.objects.values_list("pk", flat=True).get(payment=payment))
    entry = money.order_payment_book(order)
    now = timezone.now()
    order.payment_entry = entry
    order.paid_at = now
    if order.status == Status.PENDING:
        order.status = Status.PAID
        order.save(update_fields=["payment_entry", "paid_at", "status"])
    else:  # cancelled before the money arrived: give it back
        order.save(update_fields=["payment_entry", "paid_at"])
        order.refund_entry = money.order_refund_book(order, reason="paid after cancellation")
        order.save(update_fields=["refund_entry"])
    return entry


def order_payment_failed(payment: Payment) -> None:
    """The wallet's callback for a refused order payment: a pending order is
    cancelled and its stock released at once."""
    order_id = Order.objects.filter(payment=payment).values_list("pk", flat=True).first()
    if order_id is None:
        return
    order = _locked(order_id)
    if order.status == Status.PENDING:
        _cancel(order, reason="The payment failed.")
        if order.flash_sale_id is not None:
            sale_id, buyer_id = order.flash_sale_id, order.buyer_id
            # The buyer's ticket goes back to the gate with the unit, at once
            # (a sync would wait TICKET_GRACE_SECONDS): they may try again.
            transaction.on_commit(lambda: flash_ticket_return(sale_id, buyer_id), robust=True)


# --- transitions -------------------------------------------------------------------------


def order_release(order: Order) -> bool:
    """Give an order's reserved units back (its lines' stock, and a flash
    sale's ``remaining``), once; False when they already were. A plain
    database update: ``shop.services.flash`` resyncs its Redis gate from the
    database. Inside the caller's transaction, with the order locked."""
    released = Order.objects.filter(pk=order.pk, stock_released=False).update(stock_released=True)
    if not released:
        return False
    order.stock_released = True
    lines = list(order.lines.all())
    # The rows in the order placing takes them (_reserve): the sale first,
    # then (product, variant), so a release and a purchase never deadlock.
    if order.flash_sale_id is not None:
        FlashSale.objects.filter(pk=order.flash_sale_id).update(
            remaining=F("remaining") + sum(line.quantity for line in lines)
        )
    for line in sorted(lines, key=lambda ln: (ln.product_id, ln.variant_id or 0)):
        if line.variant_id is not None:
            ProductVariant.objects.filter(pk=line.variant_id).update(
                stock=F("stock") + line.quantity
            )
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
    return True


def _cancel(order: Order, *, reason: str) -> None:
    """pending/paid -> cancelled with the stock back (and the money, if paid)."""
    if order.status == Status.PAID:
        order.refund_entry = money.order_refund_book(order, reason=reason)
    order.status = Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason[: rules.REASON_MAX_LENGTH]
    order_release(order)
    order.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "refund_entry", "stock_released"]
    )


def _may_refund_any(actor: User) -> bool:
    return bool(actor.is_active and (actor.is_superuser or actor.has_perm("shop.refund_order")))


def _order_for(actor: User, order_id: Any) -> Order:
    """The order, if ``actor`` may see it (its buyer, its seller, shop
    moderators and refunders); ``not_found`` otherwise."""
    if type(order_id) is not int or not 0 < order_id < 2**63:
        raise OrderNotFound()
    order = Order.objects.select_related("shop").filter(pk=order_id).first()
    if order is None or not (
        order.buyer_id == actor.pk
        or order.shop.owner_id == actor.pk
        or is_shop_moderator(actor)
        or _may_refund_any(actor)
    ):
        raise OrderNotFound()
    return order


def _order_id(order: Order | int) -> int:
    return order.pk if isinstance(order, Order) else order


def order_cancel(*, buyer: User, order: Order | int, reason: str = "") -> Order:
    """The buyer cancels their order before it ships: pending or paid ->
    cancelled, the stock back and, if paid, the money refunded through the
    ledger. ``not_found`` for an order that is not theirs to see,
    ``not_the_buyer`` for its seller, ``order_not_cancellable`` otherwise."""
    member = check_authenticated(buyer)
    order_id = _order_for(member, _order_id(order)).pk
    with transaction.atomic():
        locked = _locked(order_id)
        if locked.buyer_id != member.pk:
            raise NotTheBuyer()
        if locked.status not in (Status.PENDING, Status.PAID):
            raise OrderNotCancellable()
        _cancel(locked, reason=(reason or "Cancelled by the buyer.").strip())
    return locked


def order_ship(*, seller: User, order: Order | int, tracking: str = "") -> Order:
    """The seller ships a paid order (with an optional tracking number):
    paid -> shipped. ``not_found``, ``not_the_seller``,
    ``order_not_shippable``."""
    member = check_authenticated(seller)
    if not isinstance(tracking, str) or len(tracking) > rules.TRACKING_MAX_LENGTH:
        raise ValidationFailed(
            fields={"tracking": [f"At most {rules.TRACKING_MAX_LENGTH} characters."]}
        )
    order_id = _order_for(member, _order_id(order)).pk
    with transaction.atomic():
        locked = _locked(order_id)
        if locked.shop.owner_id != member.pk:
            raise NotTheSeller("Only the order's seller can ship it.")
        if locked.status != Status.PAID:
            raise OrderNotShippable()
        locked.status = Status.SHIPPED
        locked.shipped_at = timezone.now()
        locked.tracking = tracking.strip()
        locked.save(update_fields=["status", "shipped_at", "tracking"])
    return locked


def order_deliver(*, buyer: User, order: Order | int) -> Order:
    """The buyer confirms delivery: shipped -> delivered, and the
    commission becomes earned (``shop.services.money``). ``not_found``,
    ``not_the_buyer``, ``order_not_deliverable``."""
    member = check_authenticated(buyer)
    order_id = _order_for(member, _order_id(order)).pk
    with transaction.atomic():
        locked = _locked(order_id)
        if locked.buyer_id != member.pk:
            raise NotTheBuyer()
        if locked.status != Status.SHIPPED:
            raise OrderNotDeliverable()
        locked.release_entry = money.commission_release_book(locked)
        locked.status = Status.DELIVERED
        locked.delivered_at = timezone.now()
        locked.save(update_fields=["status", "delivered_at", "release_entry"])
    return locked


def order_refund(*, actor: User, order: Order | int, reason: str) -> Order:
    """The seller (or a member with ``shop.refund_order``: moderators, staff)
    refunds a paid, shipped or delivered order, with a reason: every amount
    booked for it is reversed (``shop.services.money``), and units not
    shipped go back to stock. ``not_found``, ``not_allowed_to_refund``,
    ``order_not_refundable``, ``invalid`` (no reason)."""
    member = check_authenticated(actor)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > rules.REASON_MAX_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"Say why, in at most {rules.REASON_MAX_LENGTH} characters."]}
        )
    order_id = _order_for(member, _order_id(order)).pk
    with transaction.atomic():
        locked = _locked(order_id)
        if locked.shop.owner_id != member.pk and not _may_refund_any(member):
            raise NotAllowedToRefund()
        if locked.status not in (Status.PAID, Status.SHIPPED, Status.DELIVERED):
            raise OrderNotRefundable()
        locked.refund_entry = money.order_refund_book(locked, reason=reason)
        if locked.status == Status.PAID:
            order_release(locked)
        locked.status = Status.REFUNDED
        locked.refunded_at = timezone.now()
        locked.refund_reason = reason
        locked.save(
            update_fields=[
                "status",
                "refunded_at",
                "refund_reason",
                "refund_entry",
                "stock_released",
            ]
        )
    return locked


def order_expire(order: Order | int) -> bool:
    """Cancel a pending order whose reservation passed, its stock back (the
    sweep's step); False when it was paid, cancelled or not yet due."""
    with transaction.atomic():
        locked = _locked(_order_id(order))
        if locked.status != Status.PENDING or (
            locked.reserved_until is not None and locked.reserved_until > timezone.now()
        ):
            return False
        _cancel(locked, reason="The reservation expired before the payment arrived.")
        return True


def reservations_release_expired(*, limit: int = 500) -> int:
    """Expire every pending order whose ``reserved_until`` passed (up to
    ``limit`` a call), each in its own transaction; how many were released."""
    due = list(
        Order.objects.filter(Q(status=Status.PENDING) & Q(reserved_until__lte=timezone.now()))
        .order_by("reserved_until")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(order_expire(pk) for pk in due)
