"""HTML pages of live rooms (mounted before the community's pages; the
ingest callbacks live in ``live.ingest_urls``, the API in ``live.api_urls``)."""

from django.urls import path

from live import views

urlpatterns = [
    path("live/", views.live_list, name="live_list"),
    path("live/studio", views.go_live, name="go_live"),
    path("live/studio/key", views.go_live_key, name="go_live_key"),
    path("live/<int:pk>/", views.room, name="live_room"),
    path("live/<int:pk>/end", views.room_end, name="live_room_end"),
]
