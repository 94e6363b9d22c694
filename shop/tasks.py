"""Celery tasks of the shop: load ids, call a service, nothing else."""

from __future__ import annotations

from celery import shared_task

from shop import services


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
