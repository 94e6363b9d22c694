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
    path("live/sessions/<int:pk>/", views.replay, name="live_replay"),
    path("live/sessions/<int:pk>/replay/publish", views.replay_publish, name="live_replay_publish"),
    path("live/sessions/<int:pk>/replay/hide", views.replay_hide, name="live_replay_hide"),
    path("live/sessions/<int:pk>/replay/delete", views.replay_delete, name="live_replay_delete"),
]
