"""``/api/v1/shop/`` routes. As in ``community.api_urls``, trailing slashes
are optional, so a POST never loses its body to a redirect; the schema lists
each path once, as SPEC.md spells it (config.schema)."""

from django.urls import path, re_path

from shop import api

urlpatterns = [
    re_path(r"^shop/products/?$", api.ProductListView.as_view(), name="api-products"),
    re_path(
        r"^shop/products/taggable/?$",
        api.ProductOfferableView.as_view(),
        name="api-products-taggable",
    ),
    path(
        "notes/<id:pk>/products/<id:product_id>",
        api.NoteProductView.as_view(),
        name="api-note-product",
    ),
    path("notes/<id:pk>/products/<id:product_id>/", api.NoteProductView.as_view()),
    path("live/rooms/<id:pk>/pin", api.RoomPinView.as_view(), name="api-room-pin"),
    path("live/rooms/<id:pk>/pin/", api.RoomPinView.as_view()),
    re_path(r"^shop/flash-sales/?$", api.FlashSaleListView.as_view(), name="api-flash-sales"),
    re_path(r"^shop/cart/?$", api.CartView.as_view(), name="api-cart"),
    re_path(r"^shop/cart/items/?$", api.CartItemListView.as_view(), name="api-cart-items"),
    path("shop/cart/items/<id:pk>", api.CartItemDetailView.as_view(), name="api-cart-item"),
    path("shop/cart/items/<id:pk>/", api.CartItemDetailView.as_view()),
    re_path(r"^shop/checkout/?$", api.CheckoutView.as_view(), name="api-checkout"),
    re_path(r"^shop/orders/?$", api.OrderListView.as_view(), name="api-orders"),
    path("shop/orders/<id:pk>/", api.OrderDetailView.as_view(), name="api-order"),
    path("shop/orders/<id:pk>", api.OrderDetailView.as_view()),
    path("shop/orders/<id:pk>/cancel", api.OrderCancelView.as_view(), name="api-order-cancel"),
    path("shop/orders/<id:pk>/ship", api.OrderShipView.as_view(), name="api-order-ship"),
    path("shop/orders/<id:pk>/deliver", api.OrderDeliverView.as_view(), name="api-order-deliver"),
    path("shop/orders/<id:pk>/refund", api.OrderRefundView.as_view(), name="api-order-refund"),
]

_with_ids = [
    ("shop/products/<id:pk>", api.ProductDetailView, "api-product"),
    ("shop/products/<id:pk>/images", api.ProductImagesView, "api-product-images"),
    ("shop/flash-sales/<id:pk>", api.FlashSaleDetailView, "api-flash-sale"),
    ("shop/flash-sales/<id:pk>/buy", api.FlashSaleBuyView, "api-flash-sale-buy"),
    ("shop/flash-sales/<id:pk>/cancel", api.FlashSaleCancelView, "api-flash-sale-cancel"),
]
for route, view, name in _with_ids:
    urlpatterns += [
        path(route + "/", view.as_view(), name=name),
        path(route, view.as_view()),
    ]
