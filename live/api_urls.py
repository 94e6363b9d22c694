"""``/api/v1/live/`` routes. As in ``community.api_urls``, trailing slashes
are optional, so a POST never loses its body to a redirect; the schema lists
each path once, as SPEC.md spells it (``config.schema``)."""

from django.urls import path, re_path

from live import api

urlpatterns = [
    re_path(r"^live/rooms/?$", api.RoomListView.as_view(), name="api-live-rooms"),
    re_path(r"^live/stream-key/?$", api.StreamKeyView.as_view(), name="api-live-stream-key"),
]

_with_keys = [
    ("live/rooms/<id:pk>", api.RoomDetailView, "api-live-room"),
    ("live/rooms/<id:pk>/ticket", api.RoomTicketView, "api-live-room-ticket"),
    ("live/rooms/<id:pk>/end", api.RoomEndView, "api-live-room-end"),
    ("live/rooms/<id:pk>/moderators", api.RoomModeratorListView, "api-live-room-moderators"),
    (
        "live/rooms/<id:pk>/moderators/<str:username>",
        api.RoomModeratorView,
        "api-live-room-moderator",
    ),
    (
        "live/rooms/<id:pk>/restrictions",
        api.RoomRestrictionListView,
        "api-live-room-restrictions",
    ),
    (
        "live/rooms/<id:pk>/restrictions/<str:username>",
        api.RoomRestrictionView,
        "api-live-room-restriction",
    ),
    ("live/messages/<id:pk>", api.MessageView, "api-live-message"),
    ("live/sessions/<id:pk>/report", api.SessionReportView, "api-live-session-report"),
    ("live/rooms/<id:pk>/sessions", api.RoomSessionListView, "api-live-room-sessions"),
    ("live/sessions/<id:pk>", api.SessionDetailView, "api-live-session"),
    ("live/sessions/<id:pk>/timeline", api.SessionTimelineView, "api-live-session-timeline"),
    ("live/sessions/<id:pk>/replay", api.SessionReplayView, "api-live-session-replay"),
    (
        "live/sessions/<id:pk>/replay/hide",
        api.SessionReplayHideView,
        "api-live-session-replay-hide",
    ),
    (
        "live/sessions/<id:pk>/replay/watch",
        api.SessionReplayWatchView,
        "api-live-session-replay-watch",
    ),
]
for route, view, name in _with_keys:
    urlpatterns += [
        path(route + "/", view.as_view(), name=name),
        path(route, view.as_view()),
    ]
