"""REST API of the wallet: the caller's balance, recharges and ledger, and
the payment providers' callbacks.

Every member endpoint is the caller's own: there is no member id in any URL,
so nobody can read or move another member's coins. Thin views: an input
serializer checks shape, ``wallet.services`` / ``wallet.selectors`` do the
work, domain errors become ``{"error": {...}}`` in ``core.http_errors``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from community.permissions import check_authenticated
from core import pagination
from core.api import CURSOR, ERROR, PAGE_SIZE, page_size, validated
from core.money import currency
from wallet import selectors, services
from wallet import serializers as s


def wallet_data() -> dict[str, Any]:
    """What every wallet answer says about prices."""
    return {"currency": currency(), "coin_price": selectors.coin_price()}


class WalletView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: s.WalletSerializer, 401: ERROR},
        tags=["wallet"],
        summary="Your coins",
    )
    def get(self, request: Request) -> Response:
        summary = selectors.wallet_summary(check_authenticated(request.user))
        return Response(
            {"coins": summary.coins, "pending_coins": summary.pending_coins, **wallet_data()}
        )


class RechargeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=s.RechargeInput,
        responses={
            201: s.RechargeOutput,
            400: ERROR,
            401: ERROR,
            409: OpenApiResponse(
                description="`idempotency_conflict`: the key was used for another recharge."
            ),
            503: OpenApiResponse(description="`payments_unavailable`"),
        },
        tags=["wallet"],
        summary="Buy coins",
        description=(
            "Charges `coins × coin_price` through the payment provider (the sandbox by "
            "default, which succeeds at once). Idempotent: the same `idempotency_key` "
            "again returns the first answer with `replayed: true` and charges nothing; "
            "the same key with another number of coins is refused (409). A request that "
            "failed can be retried with its key. `payment.status` is `succeeded` (the "
            "coins are in `balance`), `pending` (the provider confirms later) or `failed`."
        ),
    )
    def post(self, request: Request) -> Response:
        member = check_authenticated(request.user)
        data = validated(s.RechargeInput, request.data)
        result = services.recharge_create(
            user=member, coins=data["coins"], idempotency_key=data["idempotency_key"]
        )
        return Response(result, status=status.HTTP_201_CREATED)


class LedgerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: s.PaginatedLedger, 400: ERROR, 401: ERROR},
        tags=["wallet"],
        summary="Your ledger",
        description="The lines on your accounts (coins; for creators also earnings and "
        "payouts owed), newest first.",
    )
    def get(self, request: Request) -> Response:
        lines = selectors.ledger_lines_for(check_authenticated(request.user))
        page = pagination.keyset(
            lines,
            cursor=request.query_params.get("cursor") or None,
            size=page_size(request),
        )
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
        data = s.LedgerLineSerializer(page.items, many=True).data
        return Response({"results": data, "next": next_url})


class PaymentCallbackView(APIView):
    """Called by a payment provider, not by members: no session, no CSRF, no
    throttle (a provider's retries must get through); the signature is the
    authentication."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "provider", str, OpenApiParameter.PATH, description="The provider's name."
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: s.PaymentSerializer,
            400: OpenApiResponse(description="`invalid_signature` or `callback_mismatch`"),
            404: OpenApiResponse(description="`unknown_provider` or `unknown_payment`"),
        },
        tags=["wallet"],
        summary="Payment provider callback",
        description="The provider's webhook, verified by its signature (the sandbox: "
        "`X-Sandbox-Signature: sha256=<HMAC-SHA256 of the body>`). Idempotent.",
        auth=[],
    )
    def post(self, request: Request, provider: str) -> Response:
        payment = services.payment_callback_handle(
            provider_name=provider, headers=request.headers, body=request.body
        )
        return Response(selectors.payment_payload(payment))
