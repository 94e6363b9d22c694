"""``/api/v1/`` routes of the creator pool. As in ``community.api_urls``,
trailing slashes are optional, so a POST never loses its body to a redirect;
the schema lists each path once, as SPEC.md spells it (config.schema)."""

from django.urls import path, re_path

from kol import api

urlpatterns = [
    re_path(r"^creators/?$", api.CreatorListView.as_view(), name="api-creators"),
    # Before creators/<username>: "applications" is this path, not a member.
    re_path(
        r"^creators/applications/?$",
        api.ApplicationListView.as_view(),
        name="api-creator-applications",
    ),
    re_path(r"^niches/?$", api.NicheListView.as_view(), name="api-niches"),
    re_path(r"^invitations/?$", api.InvitationListView.as_view(), name="api-invitations"),
]

_with_keys = [
    ("creators/<str:username>", api.CreatorDetailView, "api-creator"),
    (
        "creators/applications/<id:pk>/withdraw",
        api.ApplicationWithdrawView,
        "api-creator-application-withdraw",
    ),
    ("invitations/<id:pk>/accept", api.InvitationAcceptView, "api-invitation-accept"),
    ("invitations/<id:pk>/decline", api.InvitationDeclineView, "api-invitation-decline"),
]
for route, view, name in _with_keys:
    urlpatterns += [
        path(route + "/", view.as_view(), name=name),
        path(route, view.as_view()),
    ]
