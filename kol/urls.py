"""HTML pages of the creator pool (mounted before the community's pages)."""

from django.urls import path

from kol import views

urlpatterns = [
    path("creators/", views.creators, name="creators"),
    path("creators/apply", views.creator_apply, name="creator_apply"),
    path(
        "creators/applications/<int:pk>/withdraw",
        views.creator_application_withdraw,
        name="creator_application_withdraw",
    ),
    path("creators/<str:username>/", views.creator_detail, name="creator_detail"),
    path("studio/", views.studio, name="studio"),
    path("agency/", views.agency_dashboard, name="agency_dashboard"),
    path(
        "studio/invitations/<int:pk>/accept",
        views.invitation_answer,
        {"answer": "accept"},
        name="invitation_accept",
    ),
    path(
        "studio/invitations/<int:pk>/decline",
        views.invitation_answer,
        {"answer": "decline"},
        name="invitation_decline",
    ),
]
