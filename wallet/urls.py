"""HTML pages of the wallet (mounted before the community's pages)."""

from django.urls import path

from wallet import views

urlpatterns = [
    path("wallet", views.wallet, name="wallet"),
    path("wallet/recharge", views.wallet_recharge, name="wallet_recharge"),
]
