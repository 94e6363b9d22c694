"""Celery tasks of the creator pool: load ids, call a service, nothing else."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from kol import selectors, services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def compute_daily_stats() -> dict[str, int]:
    """Recompute yesterday's and today's stats of every creator (beat, hourly).
    Idempotent: each run replaces the rows of those two days, so yesterday
    gets its final figures after midnight UTC, and a run that lost a
    deadlock to a concurrent ``recompute_stats`` is simply retried. Returns
    rows written per day."""
    today = selectors.stats_today()
    results = services.stats_recompute(days=[today - timedelta(days=1), today])
    return {result.day.isoformat(): result.rows_written for result in results}


@shared_task(acks_late=True)
def expire_invitations() -> int:
    """Expire the host invitations past their date (beat, every 15 minutes).
    Returns how many were expired."""
    return services.invitations_expire_due()
