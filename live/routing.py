"""Websocket routes."""

from django.urls import path

from live import consumers

websocket_urlpatterns = [
    path("ws/live/<int:room_id>/", consumers.RoomConsumer.as_asgi()),
]
