"""REST API of the shop's catalog (``/api/v1/shop/products/``) and flash
sales (``/api/v1/shop/flash-sales/``), in the notes
API's discipline: thin views, an input serializer for shape,
``shop.services`` for rules and writes, ``shop.selectors`` for reads, and
domain errors turned into ``{"error": {...}}`` once by
``core.http_errors.api_exception_handler``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors as community_selectors
from community.models import User
from community.permissions import check_authenticated
from core import pagination
from core.api import (
    CURSOR,
    ERROR,
    PAGE_SIZE,
    cursor,
    page_size,
    paginated,
    paginated_schema,
    validated,
)
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
        responses={200: paginated_schema(s.ProductSerializer, "ProductPage"), 400: ERROR},
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
        description="List a product (multipart, with 1–9 `images` in order). The member's "
        "shop opens with its first product. Without images: 400 `images_required`.",
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
        "`not_the_seller` otherwise).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _member(request)
        product = selectors.product_for_viewer(product_id=pk, viewer=actor)
        data = validated(s.ProductUpdateInput, request.data)
        services.product_update(actor=actor, product=product, **data)
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
            OpenApiParameter("product", int, description="Only this product's sales."),
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
        "201 with the order (and `replayed`). 409 `sold_out`, `not_started`, `ended` "
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
