"""REST API of the shop: the catalog (``/api/v1/shop/products/``), flash
sales (``/api/v1/shop/flash-sales/``), the caller's cart, checkout and
orders (``/api/v1/shop/cart/``, ``/checkout``, ``/orders/``), products on
notes (``/api/v1/notes/{id}/products/{pid}``) and pinned in live rooms
(``/api/v1/live/rooms/{id}/pin``), in the notes API's discipline: thin
views, an input serializer for shape, ``shop.services`` for rules and
writes, ``shop.selectors`` for reads, and domain errors turned into
``{"error": {...}}`` once by ``core.http_errors.api_exception_handler``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from community import selectors as community_selectors
from community.models import User
from community.permissions import check_authenticated
from core import pagination
from core.api import (
    ANY,
    CURSOR,
    ERROR,
    PAGE_SIZE,
    cursor,
    id_parameter,
    page_size,
    paginated,
    paginated_schema,
    validated,
)
from live import selectors as live_selectors
from shop import rules, selectors, services
from shop import serializers as s
from shop.edge import ADMISSION
from shop.errors import ValidationFailed


def _member(request: Request) -> User:
    return check_authenticated(request.user)


class ProductListView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        # Listing a product uploads images: it counts against the upload budget.
        return "uploads" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[
            OpenApiParameter("seller", str, description="Only this member's products."),
            OpenApiParameter("q", str, description="Words in the title or description."),
            CURSOR,
            PAGE_SIZE,
        ],
        # 404: a seller no member is called.
        responses={
            200: paginated_schema(s.ProductSerializer, "ProductPage"),
            400: ERROR,
            404: ERROR,
        },
        tags=["shop"],
        operation_id="shop_products_list",
    )
    def get(self, request: Request) -> Response:
        params = validated(s.ProductQueryInput, request.query_params)
        seller = (
            community_selectors.user_by_username(params["seller"]) if params.get("seller") else None
        )
        products = selectors.product_list(
            viewer=request.user, seller=seller, q=(params.get("q") or "").strip() or None
        )
        page = selectors.product_page(products, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.ProductSerializer)

    @extend_schema(
        request={"multipart/form-data": s.ProductCreateInput},
        responses={201: s.ProductDetailSerializer, 400: ERROR, 401: ERROR, 409: ERROR},
        tags=["shop"],
        description="List a product (multipart, with 1–9 `images` in order, and optional "
        "`variants` as one JSON field). The member's shop opens with its first product. "
        "Without images: 400 `images_required`.",
    )
    def post(self, request: Request) -> Response:
        seller = _member(request)
        data = validated(s.ProductCreateInput, request.data)
        product = services.product_create(
            seller=seller,
            title=data["title"],
            description=data["description"],
            price=data["price"],
            stock=data["stock"],
            commission_bps=data["commission_bps"],
            open_to_affiliates=data["open_to_affiliates"],
            images=request.FILES.getlist("images") if data["images"] else [],
            variants=s.variant_specs(data["variants"]) or (),
        )
        product = selectors.product_for_viewer(product_id=product.pk, viewer=seller)
        return Response(
            s.ProductDetailSerializer(product, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProductDetailView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "PATCH" else None

    @extend_schema(responses={200: s.ProductDetailSerializer, 404: ERROR}, tags=["shop"])
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.product_for_viewer(product_id=pk, viewer=request.user)
        return Response(s.ProductDetailSerializer(product, context={"request": request}).data)

    @extend_schema(
        request={"application/json": s.ProductUpdateInput},
        responses={200: s.ProductDetailSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["shop"],
        description="Change some of a product's fields: only its seller may (403 "
        "`not_the_seller` otherwise). `variants` replaces the list: items with an `id` "
        "change that variant, items without one are added, variants left out are removed "
        "(400 `variant_has_orders` for one that sold: set its stock to 0). A product with "
        "variants takes its `stock` from them (400 `stock_from_variants` if `stock` is sent).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        product = selectors.product_for_viewer(product_id=pk, viewer=actor)
        data = validated(s.ProductUpdateInput, request.data)
        variants = s.variant_specs(data.pop("variants", None))
        services.product_update(actor=actor, product=product, variants=variants, **data)
        product = selectors.product_for_viewer(product_id=pk, viewer=actor)
        return Response(s.ProductDetailSerializer(product, context={"request": request}).data)


class ProductImagesView(APIView):
    # Uploads: the upload budget, as listing a product.
    throttle_scope = "uploads"

    @extend_schema(
        request={"multipart/form-data": s.ProductImagesInput},
        responses={200: s.ProductDetailSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["shop"],
        operation_id="shop_products_images_set",
        description="Set a product's photos: `keep` (the ids of its images to keep, in order; "
        "the first is the cover) then the new `images` (multipart) after them. Only its "
        "seller (403 `not_the_seller`); 1–9 in all (400 `images_required`, "
        "`too_many_images`); an id not of its images, or twice: 400 `invalid`.",
    )
    def put(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        product = selectors.product_for_viewer(product_id=pk, viewer=actor)
        data = validated(s.ProductImagesInput, request.data)
        services.product_images_update(
            actor=actor,
            product=product,
            keep=data["keep"],
            add=request.FILES.getlist("images") if data["images"] else [],
        )
        product = selectors.product_for_viewer(product_id=pk, viewer=actor)
        return Response(s.ProductDetailSerializer(product, context={"request": request}).data)


# --- flash sales ---------------------------------------------------------------------------


class FlashSaleListView(APIView):
    permission_classes = [IsAuthenticated]

    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[
            id_parameter("product", "Only this product's sales."),
            OpenApiParameter("state", str, enum=list(selectors.FLASH_SALE_STATES)),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: paginated_schema(s.FlashSaleSerializer, "FlashSalePage"), 400: ERROR},
        tags=["shop"],
        operation_id="shop_flash_sales_list",
        description="The caller's flash sales (as a seller), newest start first.",
    )
    def get(self, request: Request) -> Response:
        seller = _member(request)
        params = validated(s.FlashSaleQueryInput, request.query_params)
        sales = selectors.flash_sale_list(
            seller=seller, product_id=params.get("product"), state=params.get("state")
        )
        page = pagination.keyset(sales, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.FlashSaleSerializer)

    @extend_schema(
        request=s.FlashSaleCreateInput,
        responses={
            201: s.FlashSaleSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
        },
        tags=["shop"],
        description="Put units of your product on a flash sale: a price below the product's, "
        "1 to the units in stock, a start (not in the past) before the end, at most "
        f"{rules.FLASH_SALE_MAX_DAYS} days long. Someone else's product: 403 "
        "`not_the_seller`; a sale of the product already open then: 409 "
        "`flash_sale_overlaps`.",
    )
    def post(self, request: Request) -> Response:
        seller = _member(request)
        data = validated(s.FlashSaleCreateInput, request.data)
        product = selectors.product_for_viewer(product_id=data["product"], viewer=seller)
        variant = None
        if data["variant"] is not None:
            variant = next((v for v in product.variants.all() if v.pk == data["variant"]), None)
            if variant is None:
                raise ValidationFailed(fields={"variant": ["Not a variant of this product."]})
        sale = services.flash_sale_create(
            seller=seller,
            product=product,
            variant=variant,
            price=data["price"],
            quantity=data["quantity"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
        sale = selectors.flash_sale_for_viewer(sale_id=sale.pk, viewer=seller)
        return Response(
            s.FlashSaleSerializer(sale, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class FlashSaleDetailView(APIView):
    @extend_schema(
        responses={200: s.FlashSaleSerializer, 404: ERROR},
        tags=["shop"],
        description="A flash sale with `remaining` and `state` (`scheduled`, `on`, "
        "`sold_out`, `ended`).",
    )
    def get(self, request: Request, pk: int) -> Response:
        sale = selectors.flash_sale_for_viewer(sale_id=pk, viewer=request.user)
        return Response(s.FlashSaleSerializer(sale, context={"request": request}).data)


class FlashSaleCancelView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.FlashSaleSerializer, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["shop"],
        description="Cancel a flash sale that has not ended (its seller; moderators too). "
        "Orders already placed stand. Over already: 409 `ended`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        sale = selectors.flash_sale_for_viewer(sale_id=pk, viewer=actor)
        services.flash_sale_cancel(actor=actor, sale=sale)
        sale = selectors.flash_sale_for_viewer(sale_id=pk, viewer=actor)
        return Response(s.FlashSaleSerializer(sale, context={"request": request}).data)


class FlashSaleBuyView(APIView):
    """The flash sale's buy button. Sold-out answers must cost no database
    query (docs/performance.md, "Flash sales"), and authenticating a request
    costs one (the token or the session, then the member): so this view
    authenticates lazily (DRF's documented ``perform_authentication``
    override), answers what it can from the cache and the gate first
    (``services.flash_sale_buy_precheck``: not started, ended, sold out to
    anyone who holds no ticket), and only then authenticates, throttles and
    buys."""

    permission_classes: list[Any] = []  # the buyer is checked in post()
    throttle_scope = "writes"

    def perform_authentication(self, request: Request) -> None:
        pass  # lazily, at the first request.user (after the precheck)

    def check_throttles(self, request: Request) -> None:
        pass  # the throttles read request.user: run in post(), after the precheck

    @extend_schema(
        request=s.FlashSaleBuyInput,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR},
        tags=["shop"],
        description="Buy one unit at the flash price, paid through the payment provider: "
        "201 with the order (and `replayed`), `pending` until the provider's callback says "
        "it is paid (its charge is asked for once the order is recorded; a refused charge "
        "cancels it and the unit goes back on sale). 409 `sold_out`, `not_started`, `ended` "
        "(answered to anyone, logged in or not: they are the sale's public state), "
        "`one_per_buyer` (one unit per member per sale). The same `idempotency_key` "
        "replays the same order (`replayed: true`); with another sale or source: 409 "
        "`idempotency_conflict`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        # A unit the HTTP edge (shop.edge) admitted for this request's key:
        # the buy turns it into the buyer's ticket; any failure gives it back.
        admitted = getattr(request._request, "scope", {}).get(ADMISSION)
        try:
            data = validated(s.FlashSaleBuyInput, request.data)
            key = data["idempotency_key"]
            if admitted != key:
                services.flash_sale_buy_precheck(sale_id=pk, idempotency_key=key)
            buyer = _member(request)
            APIView.check_throttles(self, request)
            order, replayed = services.flash_sale_buy(
                buyer=buyer, sale_id=pk, idempotency_key=key, source=data["source"] or None
            )
        except BaseException:
            if admitted:
                services.flash_sale_admission_release(sale_id=pk, idempotency_key=admitted)
            raise
        return Response({**order, "replayed": replayed}, status=status.HTTP_201_CREATED)


# --- cart, checkout, orders ---------------------------------------------------------------


class CartView(APIView):
    @extend_schema(
        responses={200: s.CartSerializer, 401: ERROR},
        tags=["shop"],
        operation_id="shop_cart",
        description="The caller's cart: its items (newest first) and, per shop, the ids to "
        "check out together (`shops`).",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.cart_payload(_member(request)))


class CartItemListView(APIView):
    throttle_scope = "writes"

    @extend_schema(
        request=s.CartItemInput,
        responses={201: s.CartItemSerializer, 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR},
        tags=["shop"],
        description="Add units of a product (a `variant` of it) to the cart. The same product "
        "and variant is one line: the quantity adds up and the latest `source` wins. "
        '`source`: `{"note": id}` (a published note), `{"live_session": id}` or omitted '
        "(400 `invalid_source`). 409 `product_unavailable`, `own_product`, `cart_full`.",
    )
    def post(self, request: Request) -> Response:
        member = _member(request)
        data = validated(s.CartItemInput, request.data)
        item = services.cart_item_add(
            user=member,
            product_id=data["product"],
            variant_id=data["variant"],
            quantity=data["quantity"],
            source=data["source"],
        )
        item = selectors.cart_items(member).get(pk=item.pk)
        return Response(selectors.cart_item_payload(item), status=status.HTTP_201_CREATED)


class CartItemDetailView(APIView):
    throttle_scope = "writes"

    @extend_schema(
        request=s.CartItemUpdateInput,
        responses={200: s.CartItemSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["shop"],
        description="Set a cart item's quantity (1–99). Another member's item is 404.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        member = _member(request)
        data = validated(s.CartItemUpdateInput, request.data)
        services.cart_item_set_quantity(user=member, item_id=pk, quantity=data["quantity"])
        item = selectors.cart_items(member).get(pk=pk)
        return Response(selectors.cart_item_payload(item))

    @extend_schema(
        request=None,
        responses={204: None, 401: ERROR, 404: ERROR},
        tags=["shop"],
        description="Take an item out of the cart. Another member's item is 404.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.cart_item_remove(user=_member(request), item_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckoutView(APIView):
    throttle_scope = "writes"

    @extend_schema(
        request=s.CheckoutInput,
        responses={
            201: s.CheckoutOutput,
            400: ERROR,
            401: ERROR,
            409: OpenApiResponse(
                description="`insufficient_stock` (naming the line in `fields.lines`), "
                "`several_shops`, `empty_cart`, `product_unavailable`, `own_product`, "
                "`idempotency_conflict`"
            ),
            503: OpenApiResponse(description="`payments_unavailable`"),
        },
        tags=["shop"],
        description="Turn the cart (or only its `items`, from one shop) into an order, paid "
        "through the payment provider (the sandbox succeeds at once: `status` is `paid`; a "
        "refused payment gives `cancelled`). Idempotent: the same `idempotency_key` replays "
        "the first answer (`replayed: true`); with other items it is refused (409).",
    )
    def post(self, request: Request) -> Response:
        member = _member(request)
        data = validated(s.CheckoutInput, request.data)
        result = services.checkout(
            user=member,
            idempotency_key=data["idempotency_key"],
            items=data["items"],
            shipping=data["shipping"],
        )
        return Response(result, status=status.HTTP_201_CREATED)


def _as_seller(request: Request) -> bool:
    side = request.query_params.get("as")
    if side not in (None, "", "buyer", "seller"):
        raise ValidationFailed(fields={"as": ["`buyer` (the default) or `seller`."]})
    return side == "seller"


class OrderListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as",
                str,
                enum=["buyer", "seller", ANY],
                description="`seller`: your shop's orders; default: the orders you placed.",
            ),
            OpenApiParameter("status", str, enum=[*selectors.ORDER_STATUSES, ANY]),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: paginated_schema(s.OrderSerializer, "OrderPage"), 400: ERROR, 401: ERROR},
        tags=["shop"],
        operation_id="shop_orders_list",
    )
    def get(self, request: Request) -> Response:
        member = _member(request)
        params = validated(s.OrderQueryInput, request.query_params)
        orders = selectors.order_list(
            viewer=member, as_seller=_as_seller(request), status=params.get("status") or None
        )
        page = selectors.order_page(orders, cursor=cursor(request), size=page_size(request))
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        results = [selectors.order_payload(order, viewer=member) for order in page.items]
        return Response({"results": results, "next": next_url})


class OrderDetailView(APIView):
    @extend_schema(
        responses={200: s.OrderSerializer, 401: ERROR, 404: ERROR},
        tags=["shop"],
        description="One order: to its buyer, its seller and staff (404 for anyone else).",
    )
    def get(self, request: Request, pk: int) -> Response:
        member = _member(request)
        order = selectors.order_for_viewer(order_id=pk, viewer=member)
        return Response(selectors.order_payload(order, viewer=member))


class _OrderActionView(APIView):
    throttle_scope = "writes"
    input: type[serializers.Serializer] | None = None

    def act(self, member: User, pk: int, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        member = _member(request)
        data = validated(self.input, request.data) if self.input is not None else {}
        self.act(member, pk, data)
        order = selectors.order_for_viewer(order_id=pk, viewer=member)
        return Response(selectors.order_payload(order, viewer=member))


_ACTION_ERRORS = {200: s.OrderSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR,
                  409: ERROR}  # fmt: skip


class OrderCancelView(_OrderActionView):
    input = s.CancelInput

    def act(self, member: User, pk: int, data: dict[str, Any]) -> Any:
        return services.order_cancel(buyer=member, order=pk, reason=data["reason"])

    @extend_schema(
        request=s.CancelInput,
        responses=_ACTION_ERRORS,
        tags=["shop"],
        description="The buyer cancels a pending or paid order before it ships (the units go "
        "back, a payment is refunded). 403 `not_the_buyer`, 409 `order_not_cancellable`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderShipView(_OrderActionView):
    input = s.ShipInput

    def act(self, member: User, pk: int, data: dict[str, Any]) -> Any:
        return services.order_ship(seller=member, order=pk, tracking=data["tracking"])

    @extend_schema(
        request=s.ShipInput,
        responses=_ACTION_ERRORS,
        tags=["shop"],
        description="The seller ships a paid order, with an optional `tracking` number. "
        "403 `not_the_seller`, 409 `order_not_shippable`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderDeliverView(_OrderActionView):
    def act(self, member: User, pk: int, data: dict[str, Any]) -> Any:
        return services.order_deliver(buyer=member, order=pk)

    @extend_schema(
        request=None,
        responses=_ACTION_ERRORS,
        tags=["shop"],
        description="The buyer confirms a shipped order arrived (the affiliate's commission "
        "becomes payable). 403 `not_the_buyer`, 409 `order_not_deliverable`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class OrderRefundView(_OrderActionView):
    input = s.RefundInput

    def act(self, member: User, pk: int, data: dict[str, Any]) -> Any:
        return services.order_refund(actor=member, order=pk, reason=data["reason"])

    @extend_schema(
        request=s.RefundInput,
        responses=_ACTION_ERRORS,
        tags=["shop"],
        description="The seller (or staff with `shop.refund_order`) refunds a paid, shipped or "
        "delivered order with a `reason`: every amount booked for it is reversed. "
        "403 `not_allowed_to_refund`, 409 `order_not_refundable`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- products in notes and live rooms ---------------------------------------------------


class ProductOfferableView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words in the title."),
            id_parameter("room", "A room the caller may pin in: the products its host may show."),
        ],
        # 403: a room the caller may not pin in; 404: a room that does not exist.
        responses={
            200: s.ProductCardListSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            404: ERROR,
        },
        tags=["shop"],
        operation_id="shop_products_taggable",
        description="The products the caller may tag on a note or pin in their room: their "
        f"own and those open to affiliates (listed ones), their own first; at most "
        f"{selectors.OFFERABLE_PAGE}.",
    )
    def get(self, request: Request) -> Response:
        member = _member(request)
        params = validated(s.OfferableQueryInput, request.query_params)
        creator = member
        if params.get("room"):
            # A room moderator picks among what the room's host may show.
            room = live_selectors.room_by_id(params["room"])
            services.room_pin_check(actor=member, room=room)
            creator = room.host
        products = selectors.product_offerable(
            creator=creator, q=(params.get("q") or "").strip() or None
        )[: selectors.OFFERABLE_PAGE]
        cards = [selectors.product_card(p, request=request) for p in products]
        return Response({"results": cards})


class NoteProductView(APIView):
    throttle_scope = "writes"

    def _cards(self, request: Request, note: Any) -> dict[str, Any]:
        return {"products": selectors.note_product_cards([note], request).get(note.pk, [])}

    @extend_schema(
        request=None,
        responses={
            200: s.NoteProductsSerializer,
            201: s.NoteProductsSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
        },
        tags=["shop"],
        operation_id="notes_products_tag",
        description="Tag a product on the caller's own note (403 `not_your_note`): their own "
        "product or one open to affiliates (403 `not_open_to_affiliates`), listed (409 "
        f"`product_unavailable`, `shop_closed`), at most {rules.NOTE_PRODUCTS_MAX} a note (400 "
        "`too_many_products`). 201 with the note's products; 200 when it was tagged already.",
    )
    def post(self, request: Request, pk: int, product_id: int) -> Response:
        actor = _member(request)
        note = community_selectors.note_for_viewer(note_id=pk, viewer=actor)
        product = selectors.product_for_viewer(product_id=product_id, viewer=actor)
        _, created = services.note_product_tag(actor=actor, note=note, product=product)
        return Response(
            self._cards(request, note),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["shop"],
        operation_id="notes_products_untag",
        description="Take a product off the caller's own note (idempotent).",
    )
    def delete(self, request: Request, pk: int, product_id: int) -> Response:
        actor = _member(request)
        note = community_selectors.note_for_viewer(note_id=pk, viewer=actor)
        services.note_product_untag(actor=actor, note=note, product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomPinView(APIView):
    @property
    def throttle_scope(self) -> str | None:
        return None if self.request.method == "GET" else "writes"

    @extend_schema(
        responses={200: s.RoomPinStateSerializer, 404: ERROR},
        tags=["live"],
        operation_id="live_rooms_pin_read",
        description="The room's pinned product (or null) and, for its host and room "
        "moderators, the orders and units of the running session (the host's counter).",
    )
    def get(self, request: Request, pk: int) -> Response:
        room = live_selectors.room_by_id(pk)
        pin = selectors.room_pin_current(room)
        sales = None
        if selectors.can_pin(request.user, room):
            sales = selectors.session_sales(live_selectors.room_open_session_id(room))
        return Response(
            {
                "pinned_product": (
                    selectors.pinned_product(pin, request=request) if pin is not None else None
                ),
                "sales": sales,
            }
        )

    @extend_schema(
        request={"application/json": s.PinInput},
        responses={
            200: s.RoomPinSerializer,
            201: s.RoomPinSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
        },
        tags=["live"],
        operation_id="live_rooms_pin",
        description="The room's host or one of its room moderators (403 `not_room_host`) pins "
        "a product: the host's own or one open to affiliates (403 `not_open_to_affiliates`), "
        "listed (409 `product_unavailable`), in a room that has not ended (409 `room_ended`). "
        "It replaces the current pin and carries the product's flash sale if one is "
        "scheduled or on; every viewer gets `product_pinned`. 200 when it was pinned already.",
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        room = live_selectors.room_by_id(pk)
        services.room_pin_check(actor=actor, room=room)
        data = validated(s.PinInput, request.data)
        product = selectors.product_for_viewer(product_id=data["product"], viewer=actor)
        pin, created = services.room_pin_create(actor=actor, room=room, product=product)
        return Response(
            {"pinned_product": selectors.pinned_product(pin, request=request)},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        responses={204: None, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["live"],
        operation_id="live_rooms_unpin",
        description="The host or a room moderator unpins the room's product (idempotent); "
        "viewers get `product_unpinned`.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        room = live_selectors.room_by_id(pk)
        services.room_pin_remove(actor=actor, room=room)
        return Response(status=status.HTTP_204_NO_CONTENT)
