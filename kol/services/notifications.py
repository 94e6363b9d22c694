"""The creator pool's notices to members (applications decided, invitations
sent and answered)."""

from __future__ import annotations

from django.db import transaction

from community.models import Notification, User


def notification_send(*, user: User, actor: User | None, title: str, text: str, url: str) -> None:
    """A notice in the member's notifications (after commit)."""

    def send() -> None:
        Notification.objects.create(
            recipient=user,
            actor=actor or user,
            verb=Notification.Verb.NOTICE,
            data={"title": title, "text": text, "url": url},
        )

    transaction.on_commit(send)
