"""The nginx-rtmp callbacks, mounted at ``/live/ingest/`` (``live.ingest``)."""

from django.urls import path

from live import ingest

urlpatterns = [
    path("publish", ingest.publish, name="live_ingest_publish"),
    path("publish-done", ingest.publish_done, name="live_ingest_publish_done"),
    path("update", ingest.update, name="live_ingest_update"),
    path("record-done", ingest.record_done, name="live_ingest_record_done"),
]
