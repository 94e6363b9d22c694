"""REST API of the shop's catalog (``/api/v1/shop/products/``), in the notes
API's discipline: thin views, an input serializer for shape,
``shop.services`` for rules and writes, ``shop.selectors`` for reads, and
domain errors turned into ``{"error": {...}}`` once by
``core.http_errors.api_exception_handler``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors as community_selectors
from community.models import User
from community.permissions import check_authenticated
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
from shop import selectors, services
from shop import serializers as s


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
