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
    path("shop/products/<int:pk>/photos", views.product_photos, name="product_photos"),
]
urlpatterns += [
    path("shop/cart", views.cart, name="cart"),
    path("shop/cart/add", views.cart_add, name="cart_add"),
    path("shop/cart/items/<int:pk>/quantity", views.cart_item_quantity, name="cart_item_quantity"),
    path("shop/cart/items/<int:pk>/remove", views.cart_item_remove, name="cart_item_remove"),
    path("shop/checkout/<int:shop_id>/", views.checkout, name="checkout"),
    path("shop/orders/", views.orders, name="orders"),
    path("shop/orders/<int:pk>/", views.order_detail, name="order"),
    path("shop/orders/<int:pk>/cancel", views.order_cancel, name="order_cancel"),
    path("shop/orders/<int:pk>/deliver", views.order_deliver, name="order_deliver"),
    path("shop/orders/<int:pk>/ship", views.order_ship, name="order_ship"),
    path("shop/orders/<int:pk>/refund", views.order_refund, name="order_refund"),
    path("shop/sales/", views.sales, name="seller_orders"),
]
