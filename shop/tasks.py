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


@shared_task(acks_late=True, ignore_result=True)
def sync_flash_sale_gates() -> int:
    """Beat, every few seconds: each current flash sale's gate set from the
    database (units released by cancelled or unpaid orders go back on sale).
    Idempotent. Returns how many sales were synced."""
    return services.flash_sales_gate_sync()


@shared_task(acks_late=True, ignore_result=True)
def release_expired_reservations() -> int:
    """Cancel pending orders whose reservation passed and give their units
    back (on the beat schedule every minute: ``shop.services.orders``).
    Safe to run twice at once or to redeliver: each order is expired under
    its row lock, once. Returns how many it released."""
    return services.reservations_release_expired()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def charge_order(order_id: int) -> bool:
    """Charge a pending order's payment through its provider, enqueued when
    the order commits (a flash sale's: ``shop.services.orders``). Idempotent:
    a redelivered task charges nothing twice, and an order cancelled or
    expired meanwhile is not charged. Returns whether it charged now."""
    return services.order_charge(order_id)
