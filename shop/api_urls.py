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
    path("shop/products/<id:pk>/", api.ProductDetailView.as_view(), name="api-product"),
    path("shop/products/<id:pk>", api.ProductDetailView.as_view()),
]
