"""``/api/v1/`` routes of gifts in live rooms: send one over HTTP, read a
room's top gifters. Trailing slashes optional, as everywhere in the API."""

from django.urls import path

from live import api

_routes = [
    ("live/rooms/<id:pk>/gifts", api.RoomGiftView, "api-live-room-gifts"),
    ("live/rooms/<id:pk>/leaderboard", api.RoomLeaderboardView, "api-live-room-leaderboard"),
]
urlpatterns = []
for route, view, name in _routes:
    urlpatterns += [
        path(route + "/", view.as_view(), name=name),
        path(route, view.as_view()),
    ]
