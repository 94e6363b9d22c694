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
