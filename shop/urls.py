"""HTML pages of the shop (mounted before the community's pages; the API is
``shop.api_urls``). ``product`` and ``shop`` are reversed by the models'
``get_absolute_url`` and the API's ``url`` fields: keep them."""

from django.urls import path

from shop import views

urlpatterns = [
    path("shop/", views.browse, name="shop_browse"),
    path("shop/mine", views.my_shop, name="my_shop"),
    path("shop/sell/", views.seller_products, name="seller_products"),
    path("shop/sell/new", views.product_new, name="product_new"),
    path("shop/u/<str:username>/", views.shop_detail, name="shop"),
    path("shop/products/<int:pk>/", views.product_detail, name="product"),
    path("shop/products/<int:pk>/edit", views.product_edit, name="product_edit"),
    path("shop/products/<int:pk>/visibility", views.product_visibility, name="product_visibility"),
]
