"""Cart, checkout and orders through the services (shop.services.cart and
.orders), with their money in the wallet's ledger (shop.services.money)
proven by reconcile after every step."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from community.models import Note, User
from shop import errors, services
from shop.models import CartItem, FlashSale, Order, Product
from tests.factories import (
    FlashSaleFactory,
    NoteFactory,
    ProductFactory,
    ProductVariantFactory,
    RoomFactory,
    ShopFactory,
    UserFactory,
    fresh,
)
from tests.shop.providers import callback
from wallet import services as wallet_services
from wallet.errors import IdempotencyConflict
from wallet.models import Account, Entry, Line, Payment, Payout
from wallet.reconcile import reconcile

pytestmark = pytest.mark.django_db

KINDS = Account.Kind
DECLINING = "tests.shop.providers.DecliningProvider"
LATER = "tests.shop.providers.LaterProvider"


def assert_books() -> None:
    report = reconcile()
    assert report.ok, report.findings


def balance(kind: str, user: User | None = None) -> int:
    lines = Line.objects.filter(account__kind=kind)
    lines = lines.filter(account__user=user) if user is not None else lines
    return sum(lines.values_list("amount", flat=True))


@pytest.fixture
def seller() -> User:
    return UserFactory()


@pytest.fixture
def product(seller: User) -> Product:
    return ProductFactory(
        shop=ShopFactory(owner=seller),
        price=1000,
        stock=5,
        commission_bps=1000,
        open_to_affiliates=True,
    )


@pytest.fixture
def creator() -> User:
    return UserFactory()


@pytest.fixture
def note(creator: User) -> Note:
    return NoteFactory(author=creator, photos=0)


def buy(
    buyer: User,
    product: Product,
    *,
    quantity: int = 1,
    source: dict[str, int] | None = None,
    key: str = "k1",
    **kwargs: Any,
) -> dict[str, Any]:
    services.cart_item_add(
        user=buyer, product_id=product.pk, quantity=quantity, source=source, **kwargs
    )
    return services.checkout(user=buyer, idempotency_key=key)


# --- cart -----------------------------------------------------------------------------------


def test_the_same_product_is_one_line_whose_quantity_adds_and_latest_source_wins(
    user: User, product: Product, note: Note
) -> None:
    first = services.cart_item_add(user=user, product_id=product.pk, source={"note": note.pk})
    again = services.cart_item_add(user=user, product_id=product.pk, quantity=3)
    assert again.pk == first.pk and again.quantity == 4
    assert again.source_note_id is None  # the latest source (none) wins
    session = RoomFactory(live=True).sessions.get()
    again = services.cart_item_add(
        user=user, product_id=product.pk, source={"live_session": session.pk}
    )
    assert (again.source_session_id, again.source_note_id, again.quantity) == (session.pk, None, 5)
    again = services.cart_item_add(user=user, product_id=product.pk, quantity=99)
    assert again.quantity == 99  # capped


def test_variants_are_lines_of_their_own(user: User, product: Product) -> None:
    small, large = ProductVariantFactory(product=product), ProductVariantFactory(product=product)
    a = services.cart_item_add(user=user, product_id=product.pk, variant_id=small.pk)
    b = services.cart_item_add(user=user, product_id=product.pk, variant_id=large.pk)
    assert a.pk != b.pk
    with pytest.raises(errors.ProductUnavailable):  # the product comes in variants
        services.cart_item_add(user=user, product_id=product.pk)
    with pytest.raises(errors.ProductUnavailable):  # another product's variant
        services.cart_item_add(
            user=user, product_id=product.pk, variant_id=ProductVariantFactory().pk
        )


@pytest.mark.parametrize(
    "source",
    [
        {"note": 0},
        {"note": "1"},
        {"note": 1, "live_session": 1},
        {"post": 1},
        {"note": 2**70},
        [1],
        "note",
    ],
)
def test_a_malformed_source_is_refused(user: User, product: Product, source: Any) -> None:
    with pytest.raises(errors.InvalidSource):
        services.cart_item_add(user=user, product_id=product.pk, source=source)


def test_the_source_must_be_a_published_note_or_a_session(
    user: User, product: Product, note: Note
) -> None:
    Note.objects.filter(pk=note.pk).update(status=Note.Status.DRAFT)
    with pytest.raises(errors.InvalidSource):
        services.cart_item_add(user=user, product_id=product.pk, source={"note": note.pk})
    with pytest.raises(errors.InvalidSource):
        services.cart_item_add(user=user, product_id=product.pk, source={"live_session": 999_999})
    assert not CartItem.objects.exists()


def test_what_cannot_be_added(user: User, product: Product, seller: User) -> None:
    with pytest.raises(errors.OwnProduct):
        services.cart_item_add(user=seller, product_id=product.pk)
    Product.objects.filter(pk=product.pk).update(is_hidden=True)
    with pytest.raises(errors.NotFound):
        services.cart_item_add(user=user, product_id=product.pk)
    with pytest.raises(errors.NotFound):
        services.cart_item_add(user=user, product_id=10**12)
    with pytest.raises(errors.ValidationFailed):
        services.cart_item_add(user=user, product_id=product.pk, quantity=0)
    with pytest.raises(errors.ValidationFailed):
        services.cart_item_add(user=user, product_id=product.pk, quantity=100)


def test_another_members_cart_item_does_not_exist_for_them(
    user: User, other_user: User, product: Product
) -> None:
    item = services.cart_item_add(user=user, product_id=product.pk)
    with pytest.raises(errors.NotFound):
        services.cart_item_remove(user=other_user, item_id=item.pk)
    with pytest.raises(errors.NotFound):
        services.cart_item_set_quantity(user=other_user, item_id=item.pk, quantity=2)
    assert fresh(item).quantity == 1
    services.cart_item_set_quantity(user=user, item_id=item.pk, quantity=7)
    assert fresh(item).quantity == 7
    services.cart_item_remove(user=user, item_id=item.pk)
    assert not CartItem.objects.exists()


# --- checkout -------------------------------------------------------------------------------


def test_checkout_pays_reserves_freezes_and_books(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    result = buy(user, product, quantity=2, source={"note": note.pk})

    assert result["status"] == "paid" and result["total"] == 2000 and not result["replayed"]
    assert [line["quantity"] for line in result["lines"]] == [2]
    assert result["lines"][0]["source"] == {"note": note.pk}
    assert "commission" not in result  # the buyer does not see the split
    order = Order.objects.get(pk=result["id"])
    assert (order.platform_fee, order.commission, order.seller_amount) == (100, 200, 1700)
    assert order.lines.get().affiliate == creator
    assert fresh(product).stock == 3
    assert not CartItem.objects.filter(user=user).exists()
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.purpose == "order" and payment.entry == order.payment_entry
    # The money: cleared through the provider, owed to the seller, the fee, the commission.
    assert balance(KINDS.PROVIDER_CLEARING) == -2000
    assert balance(KINDS.SELLER_PAYABLE, seller) == 1700
    assert balance(KINDS.PLATFORM_REVENUE) == 100
    assert balance(KINDS.COMMISSION_PENDING, creator) == 200
    assert_books()
    # A price change afterwards leaves the order as it was.
    Product.objects.filter(pk=product.pk).update(price=5, title="Renamed")
    line = order.lines.get()
    assert (line.unit_price, line.title) == (1000, fresh(line).title) and line.title != "Renamed"


def test_a_retried_checkout_returns_the_same_order_and_other_params_are_refused(
    user: User, product: Product
) -> None:
    first = buy(user, product)
    again = services.checkout(user=user, idempotency_key="k1")
    assert again["id"] == first["id"] and again["replayed"] is True
    assert Order.objects.count() == 1 and fresh(product).stock == 4
    item = services.cart_item_add(user=user, product_id=product.pk)
    with pytest.raises(IdempotencyConflict):
        services.checkout(user=user, idempotency_key="k1", items=[item.pk])
    with pytest.raises(IdempotencyConflict):
        services.checkout(user=user, idempotency_key="k1", shipping={"name": "Ann"})


def test_insufficient_stock_names_the_line_and_reserves_nothing(
    user: User, product: Product
) -> None:
    other = ProductFactory(shop=product.shop, stock=1)
    services.cart_item_add(user=user, product_id=product.pk, quantity=2)
    services.cart_item_add(user=user, product_id=other.pk, quantity=3)
    with pytest.raises(errors.InsufficientStock) as caught:
        services.checkout(user=user, idempotency_key="k1")
    assert caught.value.code == "insufficient_stock" and caught.value.status == 409
    assert caught.value.product_id == other.pk
    assert f"product {other.pk}" in caught.value.fields["lines"][0]
    assert (fresh(product).stock, fresh(other).stock) == (5, 1)
    assert not Order.objects.exists() and CartItem.objects.filter(user=user).count() == 2
    # The key was not spent: the same request can be retried once it can succeed.
    services.cart_item_set_quantity(
        user=user, item_id=CartItem.objects.get(product=other).pk, quantity=1
    )
    assert services.checkout(user=user, idempotency_key="k1")["status"] == "paid"


def test_a_variant_line_takes_the_variants_stock(user: User, product: Product) -> None:
    # A product with variants sells by variant stock; its own stock is their
    # sum (shop.services.products), and goes down with them.
    variant = ProductVariantFactory(product=product, stock=2, name="M")
    ProductVariantFactory(product=product, stock=3, name="L")
    Product.objects.filter(pk=product.pk).update(stock=5)
    result = buy(user, product, quantity=2, variant_id=variant.pk)
    assert result["lines"][0]["title"].endswith("(M)")
    assert (fresh(variant).stock, fresh(product).stock) == (0, 3)
    services.cart_item_add(user=user, product_id=product.pk, variant_id=variant.pk)
    with pytest.raises(errors.InsufficientStock) as caught:
        services.checkout(user=user, idempotency_key="k2")
    assert caught.value.variant_id == variant.pk


def test_one_order_comes_from_one_shop(user: User, product: Product) -> None:
    elsewhere = ProductFactory(price=300)
    mine = services.cart_item_add(user=user, product_id=product.pk)
    theirs = services.cart_item_add(user=user, product_id=elsewhere.pk)
    with pytest.raises(errors.SeveralShops):
        services.checkout(user=user, idempotency_key="k1")
    first = services.checkout(user=user, idempotency_key="k2", items=[mine.pk])
    assert first["shop"]["id"] == product.shop_id
    assert list(CartItem.objects.filter(user=user)) == [theirs]
    second = services.checkout(user=user, idempotency_key="k3", items=[theirs.pk])
    assert second["total"] == 300
    assert_books()


def test_checkout_refuses_an_empty_cart_and_items_of_another(
    user: User, other_user: User, product: Product
) -> None:
    with pytest.raises(errors.EmptyCart):
        services.checkout(user=user, idempotency_key="k1")
    theirs = services.cart_item_add(user=other_user, product_id=product.pk)
    with pytest.raises(errors.ValidationFailed):
        services.checkout(user=user, idempotency_key="k1", items=[theirs.pk])
    with pytest.raises(errors.EmptyCart):
        services.checkout(user=user, idempotency_key="k1", items=[])
    assert not Order.objects.exists()


def test_a_hidden_product_or_closed_shop_cannot_be_checked_out(
    user: User, product: Product
) -> None:
    services.cart_item_add(user=user, product_id=product.pk)
    Product.objects.filter(pk=product.pk).update(is_hidden=True)
    with pytest.raises(errors.ProductUnavailable):
        services.checkout(user=user, idempotency_key="k1")
    assert fresh(product).stock == 5


# --- commission: to the source's creator and nobody else ----------------------------------


def test_commission_goes_to_the_session_host(user: User, product: Product) -> None:
    room = RoomFactory(live=True)
    session = room.sessions.get()
    order = Order.objects.get(pk=buy(user, product, source={"live_session": session.pk})["id"])
    assert order.lines.get().affiliate_id == room.host_id and order.commission == 100
    assert balance(KINDS.COMMISSION_PENDING, room.host) == 100
    assert Account.objects.filter(kind=KINDS.COMMISSION_PENDING).count() == 1
    assert_books()


@pytest.mark.parametrize("case", ["no source", "seller's note", "buyer's note", "closed"])
def test_no_commission_without_an_affiliate(
    user: User, product: Product, seller: User, case: str
) -> None:
    source = None
    if case == "seller's note":
        source = {"note": NoteFactory(author=seller, photos=0).pk}
    elif case == "buyer's note":
        source = {"note": NoteFactory(author=user, photos=0).pk}
    elif case == "closed":
        Product.objects.filter(pk=product.pk).update(open_to_affiliates=False)
        source = {"note": NoteFactory(photos=0).pk}
    order = Order.objects.get(pk=buy(user, product, source=source)["id"])
    line = order.lines.get()
    assert (line.affiliate_id, line.commission, order.commission) == (None, 0, 0)
    assert order.seller_amount == 950
    assert not Account.objects.filter(kind=KINDS.COMMISSION_PENDING).exists()
    assert_books()


def test_commission_never_takes_more_than_the_fee_leaves(user: User, product: Product) -> None:
    Product.objects.filter(pk=product.pk).update(commission_bps=10_000)
    order = Order.objects.get(pk=buy(user, product, source={"note": NoteFactory().pk})["id"])
    assert (order.platform_fee, order.commission, order.seller_amount) == (50, 950, 0)
    assert_books()


# --- transitions ----------------------------------------------------------------------------


def paid_order(buyer: User, product: Product, note: Note, *, key: str = "k1") -> Order:
    return Order.objects.get(
        pk=buy(buyer, product, quantity=2, source={"note": note.pk}, key=key)["id"]
    )


def test_the_whole_flow_and_a_refund_after_delivery_reverses_exactly(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    shipped = services.order_ship(seller=seller, order=order.pk, tracking=" SF123 ")
    assert (shipped.status, shipped.tracking) == ("shipped", "SF123")
    delivered = services.order_deliver(buyer=user, order=order)
    assert delivered.status == "delivered" and delivered.release_entry is not None
    assert balance(KINDS.COMMISSION_PENDING, creator) == 0
    assert balance(KINDS.COMMISSION_EARNED, creator) == 200
    assert_books()

    before: dict[int, int] = defaultdict(int)
    for account_id, amount in Line.objects.values_list("account_id", "amount"):
        before[account_id] += amount
    refunded = services.order_refund(actor=seller, order=order.pk, reason="Arrived broken")
    assert refunded.status == "refunded" and refunded.refund_reason == "Arrived broken"
    refund_lines = dict(
        Line.objects.filter(entry_id=refunded.refund_entry_id or 0).values_list(
            "account_id", "amount"
        )
    )
    booked: dict[int, int] = defaultdict(int)
    for entry in (order.payment_entry_id or 0, delivered.release_entry_id or 0):
        for account_id, amount in Line.objects.filter(entry_id=entry).values_list(
            "account_id", "amount"
        ):
            booked[account_id] += amount
    assert refund_lines == {a: -amount for a, amount in booked.items() if amount}
    for kind in (KINDS.SELLER_PAYABLE, KINDS.COMMISSION_EARNED, KINDS.COMMISSION_PENDING):
        assert balance(kind) == 0
    assert balance(KINDS.PROVIDER_CLEARING) == 0 and balance(KINDS.PLATFORM_REVENUE) == 0
    assert fresh(product).stock == 3  # shipped goods are not restocked
    assert_books()


def test_a_refund_before_shipping_gives_the_units_back(
    user: User, product: Product, seller: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    services.order_refund(actor=seller, order=order, reason="Out of this colour")
    assert fresh(product).stock == 5 and fresh(order).stock_released
    assert_books()


def test_the_buyer_cancels_before_shipping_and_gets_the_money_back(
    user: User, product: Product, seller: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    cancelled = services.order_cancel(buyer=user, order=order.pk)
    assert cancelled.status == "cancelled" and cancelled.refund_entry is not None
    assert fresh(product).stock == 5
    assert balance(KINDS.SELLER_PAYABLE, seller) == 0
    assert_books()
    with pytest.raises(errors.OrderNotCancellable):
        services.order_cancel(buyer=user, order=order.pk)


def test_each_transition_only_from_the_states_it_leaves(
    user: User, product: Product, seller: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    with pytest.raises(errors.OrderNotDeliverable):
        services.order_deliver(buyer=user, order=order)
    services.order_ship(seller=seller, order=order)
    with pytest.raises(errors.OrderNotShippable) as caught:
        services.order_ship(seller=seller, order=order)
    assert (caught.value.code, caught.value.status) == ("order_not_shippable", 409)
    with pytest.raises(errors.OrderNotCancellable):
        services.order_cancel(buyer=user, order=order)
    services.order_deliver(buyer=user, order=order)
    with pytest.raises(errors.OrderNotDeliverable):
        services.order_deliver(buyer=user, order=order)
    services.order_refund(actor=seller, order=order, reason="Goodwill")
    with pytest.raises(errors.OrderNotRefundable):
        services.order_refund(actor=seller, order=order, reason="Twice")
    with pytest.raises(errors.OrderNotShippable):
        services.order_ship(seller=seller, order=order)
    assert_books()


def test_each_side_does_only_its_own_transitions(
    user: User, other_user: User, product: Product, seller: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    with pytest.raises(errors.NotTheSeller):
        services.order_ship(seller=user, order=order)
    with pytest.raises(errors.NotTheBuyer):
        services.order_cancel(buyer=seller, order=order)
    with pytest.raises(errors.NotAllowedToRefund):
        services.order_refund(actor=user, order=order, reason="I want it")
    for call in (
        lambda: services.order_ship(seller=other_user, order=order),
        lambda: services.order_cancel(buyer=other_user, order=order),
        lambda: services.order_deliver(buyer=other_user, order=order),
        lambda: services.order_refund(actor=other_user, order=order, reason="x"),
    ):
        with pytest.raises(errors.OrderNotFound):
            call()
    with pytest.raises(errors.ValidationFailed):
        services.order_refund(actor=seller, order=order, reason="  ")
    assert fresh(order).status == "paid"


def test_a_member_with_the_refund_permission_refunds_any_order(
    user: User, other_user: User, product: Product, note: Note
) -> None:
    order = paid_order(user, product, note)
    other_user.user_permissions.add(Permission.objects.get(codename="refund_order"))
    refunder = User.objects.get(pk=other_user.pk)  # permissions are cached per instance
    assert services.order_refund(actor=refunder, order=order, reason="Fraud").status == "refunded"
    assert_books()


def test_commission_already_paid_out_is_borne_by_the_platform_on_refund(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    services.order_ship(seller=seller, order=order)
    services.order_deliver(buyer=user, order=order)
    with override_settings(SPROUT_WALLET_PAYOUT_THRESHOLD=100):
        wallet_services.payout_run_execute(period_end=timezone.now().date())
    payout = Payout.objects.get(creator=creator)
    assert (payout.coins, payout.commission, payout.net) == (0, 200, 0)
    assert balance(KINDS.CREATOR_PAYABLE, creator) == 200
    assert balance(KINDS.COMMISSION_EARNED, creator) == 0
    assert_books()

    refunded = services.order_refund(actor=seller, order=order, reason="Never worked")
    entry = Entry.objects.get(pk=refunded.refund_entry_id or 0)
    assert entry.reference["commission_written_off"] == 200
    assert balance(KINDS.COMMISSION_EARNED, creator) == 0  # never below zero
    assert balance(KINDS.COMMISSION_WRITEOFF) == -200
    assert balance(KINDS.CREATOR_PAYABLE, creator) == 200  # the creator keeps what was paid
    assert_books()


def test_a_refund_takes_commission_back_from_later_earnings_first(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    first = paid_order(user, product, note, key="a")
    services.order_ship(seller=seller, order=first)
    services.order_deliver(buyer=user, order=first)
    with override_settings(SPROUT_WALLET_PAYOUT_THRESHOLD=100):
        wallet_services.payout_run_execute(period_end=timezone.now().date())
    second = paid_order(user, product, note, key="b")
    services.order_ship(seller=seller, order=second)
    services.order_deliver(buyer=user, order=second)
    services.order_refund(actor=seller, order=first, reason="Returned")
    assert balance(KINDS.COMMISSION_EARNED, creator) == 0  # the second order's 200 took it
    assert balance(KINDS.COMMISSION_WRITEOFF) == 0
    assert_books()


def test_payouts_include_commission_beside_gift_earnings(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    from tests.factories import CreatorFactory

    CreatorFactory(user=creator)
    wallet_services.account_get_or_create(KINDS.CREATOR_EARNINGS, user=creator)
    order = paid_order(user, product, note)
    services.order_ship(seller=seller, order=order)
    services.order_deliver(buyer=user, order=order)
    # Gift earnings of 1,500 coins (rate 1 minor unit a coin).
    from wallet.services import ledger

    with transaction.atomic():
        ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            postings=[
                ledger.Posting(ledger.account_get_or_create(KINDS.COIN_ISSUANCE), -1500),
                ledger.Posting(
                    ledger.account_get_or_create(KINDS.CREATOR_EARNINGS, user=creator), 1500
                ),
            ],
        )
    with override_settings(SPROUT_WALLET_PAYOUT_THRESHOLD=100):
        result = wallet_services.payout_run_execute(period_end=timezone.now().date())
    payout = Payout.objects.get(creator=creator)
    assert (payout.coins, payout.net, payout.commission) == (1500, 1500, 200)
    assert result.total("commission") == 200
    assert balance(KINDS.CREATOR_PAYABLE, creator) == 1700
    assert Payout.objects.count() == 1  # the seller and the buyer earn no payout
    assert_books()


def test_commission_below_its_threshold_waits_for_a_later_payout(
    user: User, product: Product, seller: User, creator: User, note: Note
) -> None:
    order = paid_order(user, product, note)
    services.order_ship(seller=seller, order=order)
    services.order_deliver(buyer=user, order=order)
    # 200 of commission; the threshold is 1,000 coins, worth 1,000 minor units.
    wallet_services.payout_run_execute(period_end=timezone.now().date())
    assert not Payout.objects.exists()
    assert balance(KINDS.COMMISSION_EARNED, creator) == 200


# --- payment outcomes -----------------------------------------------------------------------


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=DECLINING)
def test_a_declined_payment_cancels_the_order_and_releases_the_stock(
    user: User, product: Product
) -> None:
    result = buy(user, product, quantity=3)
    assert result["status"] == "cancelled" and result["payment"]["status"] == "failed"
    order = Order.objects.get(pk=result["id"])
    assert order.stock_released and order.payment_entry is None
    assert fresh(product).stock == 5
    assert CartItem.objects.filter(user=user).count() == 1  # still in the cart
    assert_books()


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_a_later_callback_pays_the_order_the_same_way(
    user: User, product: Product, seller: User, api: Any
) -> None:
    result = buy(user, product)
    assert result["status"] == "pending" and result["reserved_until"] is not None
    assert fresh(product).stock == 4
    signed = callback(Payment.objects.get(order=result["id"]))
    response = api.generic(
        "POST",
        "/api/v1/wallet/callbacks/later",
        signed.body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=signed.headers["X-Sandbox-Signature"],
    )
    assert response.status_code == 200, response.content
    order = Order.objects.get(pk=result["id"])
    assert order.status == "paid" and order.payment_entry is not None
    assert balance(KINDS.SELLER_PAYABLE, seller) == 950
    # Redelivered: nothing booked twice.
    api.generic(
        "POST",
        "/api/v1/wallet/callbacks/later",
        signed.body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=signed.headers["X-Sandbox-Signature"],
    )
    assert Entry.objects.filter(kind=Entry.Kind.ORDER_PAYMENT).count() == 1
    assert_books()


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_a_failed_callback_releases_the_reservation(user: User, product: Product) -> None:
    order = Order.objects.get(pk=buy(user, product, quantity=2)["id"])
    signed = callback(Payment.objects.get(order=order), status="failed")
    wallet_services.payment_callback_handle(
        provider_name="later", headers=signed.headers, body=signed.body
    )
    order = fresh(order)
    assert order.status == "cancelled" and order.stock_released
    assert fresh(product).stock == 5
    assert_books()


@override_settings(SPROUT_WALLET_PAYMENT_PROVIDER=LATER)
def test_an_expired_reservation_is_released_and_a_late_payment_refunded(
    user: User, product: Product
) -> None:
    order = Order.objects.get(pk=buy(user, product, quantity=2)["id"])
    assert services.reservations_release_expired() == 0  # not due yet
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert services.reservations_release_expired() == 1
    assert services.reservations_release_expired() == 0
    order = fresh(order)
    assert order.status == "cancelled" and fresh(product).stock == 5
    assert_books()
    # The money arrives after all: booked, and given back at once.
    signed = callback(Payment.objects.get(order=order))
    wallet_services.payment_callback_handle(
        provider_name="later", headers=signed.headers, body=signed.body
    )
    order = fresh(order)
    assert order.status == "cancelled"
    assert order.payment_entry is not None and order.refund_entry is not None
    assert balance(KINDS.PROVIDER_CLEARING) == 0
    assert_books()


# --- flash sales (called by shop.services.flash) -------------------------------------------


def test_a_flash_order_takes_the_sale_price_and_its_units(user: User, product: Product) -> None:
    sale = FlashSaleFactory(product=product, price=490, quantity=2)
    order = services.order_place(
        buyer=user, lines=[services.LineRequest(product_id=product.pk)], flash_sale=sale
    )
    assert order.status == "paid" and order.total == 490 and order.flash_sale == sale
    assert fresh(sale).remaining == 1 and fresh(product).stock == 4
    services.order_place(
        buyer=user, lines=[services.LineRequest(product_id=product.pk)], flash_sale=sale
    )
    with pytest.raises(errors.FlashSoldOut):
        services.order_place(
            buyer=user, lines=[services.LineRequest(product_id=product.pk)], flash_sale=sale
        )
    assert_books()
    services.order_cancel(buyer=user, order=order)
    assert fresh(sale).remaining == 1 and fresh(product).stock == 4
    assert_books()


def test_a_flash_order_is_only_the_sales_product(user: User, product: Product) -> None:
    sale = FlashSaleFactory(product=product)
    with pytest.raises(errors.ProductUnavailable):
        services.order_place(
            buyer=user,
            lines=[services.LineRequest(product_id=ProductFactory(shop=product.shop).pk)],
            flash_sale=sale,
        )
    FlashSale.objects.filter(pk=sale.pk).update(cancelled_at=timezone.now())
    with pytest.raises(errors.FlashSoldOut):
        services.order_place(
            buyer=user, lines=[services.LineRequest(product_id=product.pk)], flash_sale=fresh(sale)
        )
    assert fresh(product).stock == 5


def test_the_studio_shows_commission_pending_earned_and_paid(
    user: User, product: Product, seller: User, note: Note
) -> None:
    from tests.clients import logged_in
    from tests.factories import CreatorFactory

    creator = CreatorFactory().user
    note = NoteFactory(author=creator, photos=0)
    delivered = paid_order(user, product, note, key="a")
    services.order_ship(seller=seller, order=delivered)
    services.order_deliver(buyer=user, order=delivered)
    paid_order(user, product, note, key="b")  # 200 more, pending delivery
    earnings = logged_in(creator).get("/studio/").context["earnings"]
    assert (earnings.commission_earned.amount, earnings.commission_pending.amount) == (200, 200)
    with override_settings(SPROUT_WALLET_PAYOUT_THRESHOLD=100):
        wallet_services.payout_run_execute(period_end=timezone.now().date())
    response = logged_in(creator).get("/studio/")
    earnings = response.context["earnings"]
    assert earnings.commission_earned.amount == 0 and earnings.owed.amount == 200
    assert [line.commission.amount for line in earnings.payouts] == [200]
    html = response.content.decode()
    assert "Commission" in html and "more once orders are delivered" in html
