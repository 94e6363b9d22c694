"""``GET /api/v1/gifts/``: the gift catalog (public), what the room's gift
tray shows. Sending is the live app's endpoint
(``POST /api/v1/live/rooms/{id}/gifts/``) and websocket frame."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wallet import selectors

GIFT = inline_serializer(
    "Gift",
    {
        "slug": serializers.CharField(),
        "name": serializers.CharField(),
        "coins": serializers.IntegerField(help_text="Price of one, in coins."),
        "animation_tier": serializers.IntegerField(
            help_text="1 small (inline), 2 medium (banner), 3 large (full screen)."
        ),
        "emoji": serializers.CharField(help_text="Shown when there is no image."),
        "image": serializers.CharField(help_text="Absolute URL, or empty."),
    },
)
CATALOG = inline_serializer("GiftCatalog", {"results": GIFT.__class__(many=True)})


def catalog_payload(request: Request | None) -> list[dict[str, Any]]:
    """The active gifts in tray order, image URLs made absolute."""
    items = []
    for gift in selectors.gift_catalog():
        item = selectors.gift_payload(gift)
        if item["image"] and request is not None:
            item["image"] = request.build_absolute_uri(item["image"])
        items.append(item)
    return items


class GiftCatalogView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: CATALOG}, summary="The gift catalog")
    def get(self, request: Request) -> Response:
        return Response({"results": catalog_payload(request)})
