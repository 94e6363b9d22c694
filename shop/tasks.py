"""Celery tasks of the shop: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from shop import services


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def render_product_image(image_id: int) -> None:
    """The renditions of one product image (idempotent; storage errors are
    retried)."""
    services.product_image_render(image_id=image_id)
