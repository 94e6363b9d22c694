"""``/api/v1/`` routes of gifts (the catalog); trailing slash optional, as
everywhere in the API."""

from django.urls import re_path

from wallet import gift_api

urlpatterns = [
    re_path(r"^gifts/?$", gift_api.GiftCatalogView.as_view(), name="api-gifts"),
]
