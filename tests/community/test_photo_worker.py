"""Renditions are made by a real Celery worker process, after the upload's
transaction commits; until then the note shows its original."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from community.models import Photo
from tests.factories import UserFactory, jpeg_bytes
from tests.services import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_an_uploaded_photo_is_rendered_by_the_worker(celery_worker) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(UserFactory())
    upload = SimpleUploadedFile("big.jpg", jpeg_bytes(1600, 1200), content_type="image/jpeg")
    response = client.post(
        "/api/v1/notes/", {"title": "Worker made", "images": [upload]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    photo_id = response.json()["photos"][0]["id"]

    photo = wait_for(
        lambda: Photo.objects.filter(pk=photo_id).exclude(renditions={}).first(),
        what="the worker to render the photo",
    )
    assert set(photo.renditions) == {"1080", "540", "240"}
    for files in photo.renditions.values():
        for name in (files["webp"], files["jpeg"]):
            assert (Path(settings.MEDIA_ROOT) / name).stat().st_size > 0
    assert photo.color.startswith("#") and len(photo.color) == 7
    served = client.get(f"/api/v1/notes/{response.json()['id']}/").json()["photos"][0]
    assert served["ready"] is True
    assert served["srcset_webp"]


def test_photos_whose_task_was_lost_are_rendered_by_the_sweep(celery_worker) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from community.tasks import rerender_stale_photos
    from tests.factories import PhotoFactory

    photo = PhotoFactory()  # rows made directly: no render task was ever sent
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(hours=1))
    rerender_stale_photos.delay()
    wait_for(
        lambda: Photo.objects.filter(pk=photo.pk).exclude(renditions={}).exists(),
        what="the sweep's render task",
    )
