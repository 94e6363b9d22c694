"""``/api/v1/`` routes. Trailing slashes are optional everywhere, so both the
spellings in SPEC.md (``/auth/register``, ``/notes/``) and their twins work
for every method (a redirect would lose a POST body)."""

from django.urls import path, re_path

from community import api

urlpatterns = [
    re_path(r"^auth/register/?$", api.RegisterView.as_view(), name="api-register"),
    re_path(r"^auth/token/?$", api.TokenView.as_view(), name="api-token"),
    re_path(r"^me/?$", api.MeView.as_view(), name="api-me"),
    re_path(r"^me/blocked/?$", api.BlockedListView.as_view(), name="api-me-blocked"),
    re_path(r"^photos/?$", api.PhotoUploadView.as_view(), name="api-photos"),
    re_path(r"^notes/?$", api.NoteListView.as_view(), name="api-notes"),
    re_path(r"^feed/discover/?$", api.DiscoverFeedView.as_view(), name="api-feed-discover"),
    re_path(r"^feed/following/?$", api.FollowingFeedView.as_view(), name="api-feed-following"),
    re_path(r"^search/?$", api.SearchView.as_view(), name="api-search"),
    re_path(r"^boards/?$", api.BoardListView.as_view(), name="api-boards"),
    re_path(r"^reports/?$", api.ReportView.as_view(), name="api-reports"),
    re_path(r"^notifications/?$", api.NotificationListView.as_view(), name="api-notifications"),
    re_path(
        r"^notifications/read/?$", api.NotificationReadView.as_view(), name="api-notifications-read"
    ),
]

_with_ids = [
    ("notes/<id:pk>", api.NoteDetailView, "api-note"),
    ("notes/<id:pk>/photos", api.NotePhotosView, "api-note-photos"),
    ("notes/<id:pk>/photos/<id:photo_id>", api.NotePhotoDetailView, "api-note-photo"),
    ("notes/<id:pk>/like", api.LikeView, "api-note-like"),
    ("notes/<id:pk>/collect", api.CollectView, "api-note-collect"),
    ("notes/<id:pk>/comments", api.CommentListView, "api-note-comments"),
    ("comments/<id:pk>", api.CommentDetailView, "api-comment"),
    ("boards/<id:pk>/notes", api.BoardNotesView, "api-board-notes"),
    ("topics/<str:key>", api.TopicDetailView, "api-topic"),
    ("topics/<str:key>/notes", api.TopicNotesView, "api-topic-notes"),
    ("topics/<str:key>/follow", api.TopicFollowView, "api-topic-follow"),
    ("users/<str:username>", api.UserDetailView, "api-user"),
    ("users/<str:username>/notes", api.UserNotesView, "api-user-notes"),
    ("users/<str:username>/follow", api.FollowView, "api-user-follow"),
    ("users/<str:username>/block", api.BlockView, "api-user-block"),
    ("users/<str:username>/followers", api.FollowersView, "api-user-followers"),
    ("users/<str:username>/following", api.FollowingView, "api-user-following"),
]
for route, view, name in _with_ids:
    urlpatterns += [
        path(route + "/", view.as_view(), name=name),
        path(route, view.as_view()),
    ]

# Anything else under /api/v1/ answers 404 in the error shape (core.http_errors).
