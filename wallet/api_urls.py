"""``/api/v1/wallet/`` routes. As everywhere in the API, trailing slashes are
optional, so a POST never loses its body to a redirect; the schema lists each
path once, as SPEC.md spells it (config.schema)."""

from django.urls import re_path

from wallet import api

urlpatterns = [
    re_path(r"^wallet/?$", api.WalletView.as_view(), name="api-wallet"),
    re_path(r"^wallet/recharge/?$", api.RechargeView.as_view(), name="api-wallet-recharge"),
    re_path(r"^wallet/ledger/?$", api.LedgerView.as_view(), name="api-wallet-ledger"),
    re_path(
        r"^wallet/callbacks/(?P<provider>[a-z0-9_-]{1,30})/?$",
        api.PaymentCallbackView.as_view(),
        name="api-wallet-callback",
    ),
]
