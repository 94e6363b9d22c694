"""REST API of the creator pool (``/api/v1/creators/``, ``/niches/``,
``/invitations/``), in the notes API's discipline: thin views, an input
serializer for shape, ``kol.services`` for rules and writes,
``kol.selectors`` for reads, and domain errors turned into
``{"error": {...}}`` once by ``core.http_errors.api_exception_handler``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community import selectors as community_selectors
from community.models import User
from community.permissions import check_authenticated
from core import pagination
from core.api import (
    ANY,
    CURSOR,
    ERROR,
    PAGE_SIZE,
    cursor,
    page_size,
    paginated,
    paginated_schema,
    validated,
)
from kol import selectors, services
from kol import serializers as s
from kol.errors import PermissionDenied
from kol.models import Invitation, Tier


def _param(request: Request, name: str) -> str | None:
    """A query parameter, None when absent or empty."""
    value = request.query_params.get(name)
    return value if value else None


def _member(request: Request) -> User:
    return check_authenticated(request.user)


# --- creators and niches -------------------------------------------------------------


class CreatorListView(APIView):
    @extend_schema(
        parameters=[
            # Slugs, as CreatorQueryInput checks them (empty: any).
            OpenApiParameter(
                "niche",
                {"type": "string", "pattern": r"^[-a-zA-Z0-9_]*$", "maxLength": 40},
                description="A niche slug (GET /api/v1/niches/).",
            ),
            OpenApiParameter("tier", str, enum=Tier.values),
            OpenApiParameter(
                "agency",
                {"type": "string", "pattern": r"^[-a-zA-Z0-9_]*$", "maxLength": 100},
                description="An agency slug: its current roster.",
            ),
            OpenApiParameter("verified", bool),
            OpenApiParameter(
                "order",
                str,
                enum=[*selectors.CREATOR_ORDERS, ANY],
                description="`followers` (the default) or `engagement` (rate over 30 "
                "days), best first; staff who see the whole pool may also order by `score` "
                "(the latest screening, unscreened creators last; their default).",
            ),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={200: paginated_schema(s.CreatorSerializer, "CreatorPage"), 400: ERROR},
        tags=["creators"],
        operation_id="creators_list",
    )
    def get(self, request: Request) -> Response:
        query = s.CreatorQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        creators = selectors.creator_list(
            niche=params.get("niche") or None,
            tier=params.get("tier") or None,
            agency=params.get("agency") or None,
            verified=params.get("verified"),
        )
        page = selectors.creator_page(
            creators,
            order=selectors.check_creator_order(params.get("order"), request.user),
            cursor=cursor(request),
            size=page_size(request),
        )
        visible = selectors.creator_screening_visible(request.user, page.items)
        return paginated(request, page, s.CreatorSerializer, context={"screening_visible": visible})


class CreatorDetailView(APIView):
    @extend_schema(
        responses={200: s.CreatorDetailSerializer, 404: ERROR},
        tags=["creators"],
        description="One creator with their daily stats of the last 30 days (oldest first) "
        "and current agency. Their money (the agency's `share_bps`, each day's "
        "`gift_income` and `sales`), their screening (`score`, `score_reasons`) and their "
        "agency are shown to the creator, staff who see the whole pool and that agency's "
        "managers only (null, or an empty list, for everyone else).",
    )
    def get(self, request: Request, username: str) -> Response:
        detail = selectors.creator_detail(username, request.user)
        context = {"request": request, "detail": detail}
        return Response(s.CreatorDetailSerializer(detail.creator, context=context).data)


class NicheListView(APIView):
    @extend_schema(responses={200: s.NicheSerializer(many=True)}, tags=["creators"])
    def get(self, request: Request) -> Response:
        return Response(s.NicheSerializer(selectors.niche_list(), many=True).data)


class ApplicationListView(APIView):
    permission_classes = [IsAuthenticated]

    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: paginated_schema(s.ApplicationSerializer, "ApplicationPage"),
            401: ERROR,
        },
        tags=["creators"],
        operation_id="creators_applications_list",
        description="Your own applications to the creator pool, newest first.",
    )
    def get(self, request: Request) -> Response:
        applications = selectors.application_list_for(_member(request))
        page = pagination.keyset(applications, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.ApplicationSerializer)

    @extend_schema(
        request=s.ApplicationInput,
        responses={201: s.ApplicationSerializer, 400: ERROR, 401: ERROR},
        tags=["creators"],
        description="Apply to join the creator pool; a moderator decides and you are "
        "notified. Errors: `already_creator`, `application_pending`, `invalid`.",
    )
    def post(self, request: Request) -> Response:
        applicant = _member(request)
        data = validated(s.ApplicationInput, request.data)
        application = services.application_submit(
            applicant=applicant,
            pitch=data["pitch"],
            niche_slugs=data["niches"],
            links=data["links"],
        )
        return Response(
            s.ApplicationSerializer(application, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ApplicationWithdrawView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    @extend_schema(
        request=None,
        responses={200: s.ApplicationSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["creators"],
        operation_id="creators_applications_withdraw",
        description="The applicant takes back a pending application (then may send a new "
        "one); withdrawing again changes nothing. `already_reviewed` once a moderator has "
        "decided; anyone else's application is `not_found`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        applicant = _member(request)
        application = selectors.application_for_member(application_id=pk, user=applicant)
        application = services.application_withdraw(applicant=applicant, application=application)
        return Response(s.ApplicationSerializer(application, context={"request": request}).data)


# --- invitations --------------------------------------------------------------------


class InvitationListView(APIView):
    permission_classes = [IsAuthenticated]

    @property
    def throttle_scope(self) -> str | None:
        return "writes" if self.request.method == "POST" else None

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=[*Invitation.Status.values, ANY]),
            CURSOR,
            PAGE_SIZE,
        ],
        responses={
            200: paginated_schema(s.InvitationSerializer, "InvitationPage"),
            400: ERROR,
            401: ERROR,
        },
        tags=["invitations"],
        operation_id="invitations_list",
        description="Your invitations to host live rooms, newest first (staff who send "
        "invitations: everyone's).",
    )
    def get(self, request: Request) -> Response:
        user = _member(request)
        listed = selectors.invitation_list(
            selectors.invitation_list_for(user), status=_param(request, "status")
        )
        page = pagination.keyset(listed, cursor=cursor(request), size=page_size(request))
        return paginated(request, page, s.InvitationSerializer)

    @extend_schema(
        request=s.InvitationInput,
        responses={
            201: s.InvitationSerializer,
            200: OpenApiResponse(s.InvitationSerializer, description="Already open: that one."),
            400: ERROR,
            403: ERROR,
            404: ERROR,
        },
        tags=["invitations"],
        description="Staff only: invite a member to host live rooms. Idempotent while an "
        "invitation is open: 201 with a new one, 200 with the one already open.",
    )
    def post(self, request: Request) -> Response:
        actor = _member(request)
        if not selectors.can_send_invitations(actor):
            raise PermissionDenied("Only staff invite members to host.")
        data = validated(s.InvitationInput, request.data)
        user = community_selectors.user_by_username(data["username"])
        niche = selectors.niche_for_slug(data["niche"]) if data["niche"] else None
        # Freeze the latest screening with the invitation, for the record.
        profile = selectors.creator_of(user)
        invitation, created = services.invitation_send(
            actor=actor,
            user=user,
            message=data["message"],
            niche=niche,
            score=profile.score if profile is not None else None,
            reasons=profile.score_reasons if profile is not None else (),
        )
        invitation = selectors.invitation_for_member(invitation_id=invitation.pk, user=user)
        return Response(
            s.InvitationSerializer(invitation, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class _InvitationAnswerView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "writes"

    def answer(self, user: User, invitation: Invitation) -> Invitation:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        user = _member(request)
        invitation = selectors.invitation_for_member(invitation_id=pk, user=user)
        self.answer(user, invitation)
        invitation = selectors.invitation_for_member(invitation_id=pk, user=user)
        return Response(s.InvitationSerializer(invitation, context={"request": request}).data)


class InvitationAcceptView(_InvitationAnswerView):
    def answer(self, user: User, invitation: Invitation) -> Invitation:
        return services.invitation_accept(user=user, invitation=invitation)

    @extend_schema(
        request=None,
        responses={200: s.InvitationSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["invitations"],
        description="The invited member accepts: they may host live rooms from now on. "
        "`invitation_closed` when it was already answered or expired.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class InvitationDeclineView(_InvitationAnswerView):
    def answer(self, user: User, invitation: Invitation) -> Invitation:
        return services.invitation_decline(user=user, invitation=invitation)

    @extend_schema(
        request=None,
        responses={200: s.InvitationSerializer, 400: ERROR, 401: ERROR, 404: ERROR},
        tags=["invitations"],
        description="The invited member declines. `invitation_closed` when it was already "
        "answered or expired.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)
