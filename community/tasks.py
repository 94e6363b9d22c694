"""Celery tasks of the notes community: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from community import selectors, services


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def render_photo(photo_id: int) -> None:
    """Make the renditions and dominant colour of one photo (idempotent, so a
    redelivered or retried task is harmless). Storage errors are retried."""
    services.photo_render(photo_id=photo_id)


@shared_task(acks_late=True)
def rerender_stale_photos() -> int:
    """Queue renditions again for photos still without them a while after
    upload (their task was lost: the broker was down when it was sent). Runs on
    the beat schedule; returns how many were queued."""
    ids = selectors.photo_unrendered_ids()
    for photo_id in ids:
        render_photo.delay(photo_id)
    return len(ids)


@shared_task(acks_late=True)
def sweep_unattached_photos() -> int:
    """Delete uploads no note took (a compose or edit page left unsaved) once
    they are old enough; on the beat schedule. Returns how many went."""
    return services.photos_unattached_sweep()


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text message through the configured e-mail backend
    (``EMAIL_URL``); a mail server that is down is retried."""
    from django.core.mail import send_mail

    return send_mail(subject, body, None, recipients)
