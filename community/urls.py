"""HTML pages. The names ``discover``, ``note``, ``topic``, ``profile`` and
``login`` are reversed by ``community.text`` and the API: keep them."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from community import views

urlpatterns = [
    path("", views.discover, name="discover"),
    path("following", views.following, name="following"),
    path("search", views.search, name="search"),
    path("compose", views.compose, name="compose"),
    path("notifications", views.notifications, name="notifications"),
    path("notifications/read", views.notifications_read, name="notifications_read"),
    path("n/<int:pk>/", views.note_detail, name="note"),
    path("n/<int:pk>/edit", views.note_edit, name="note_edit"),
    path("n/<int:pk>/delete", views.note_delete, name="note_delete"),
    path("n/<int:pk>/like", views.note_like, name="note_like"),
    path("n/<int:pk>/collect", views.note_collect, name="note_collect"),
    path("n/<int:pk>/comments", views.comment_create, name="comment_create"),
    path("c/<int:pk>/delete", views.comment_delete, name="comment_delete"),
    path("report/<str:kind>/<str:ident>", views.report, name="report"),
    path("t/<str:key>/", views.topic, name="topic"),
    path("t/<str:key>/follow", views.topic_follow, name="topic_follow"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/boards", views.profile, {"tab": "boards"}, name="profile_boards"),
    path("u/<str:username>/liked", views.profile, {"tab": "liked"}, name="profile_liked"),
    path("u/<str:username>/drafts", views.profile, {"tab": "drafts"}, name="profile_drafts"),
    path(
        "u/<str:username>/followers",
        views.profile_people,
        {"relation": "followers"},
        name="profile_followers",
    ),
    path(
        "u/<str:username>/following",
        views.profile_people,
        {"relation": "following"},
        name="profile_following",
    ),
    path("u/<str:username>/follow", views.user_follow, name="user_follow"),
    path("u/<str:username>/block", views.user_block, name="user_block"),
    path("b/<int:pk>/", views.board, name="board"),
    path("me", views.me, name="me"),
    path("settings/profile", views.settings_profile, name="settings_profile"),
    path("signup", views.signup, name="signup"),
    path("login", views.LoginView.as_view(), name="login"),
    # Django's default login path, which people and password managers try:
    # to the log-in page, keeping ?next=.
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="login_django_default",
    ),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("verify-email/<str:token>", views.verify_email, name="verify_email"),
    path("settings/email/verify", views.verify_email_resend, name="verify_email_resend"),
]
