"""Boards and the notes members collect into them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from community.models import Board, Collect, Note, Notification, User
from community.permissions import check_can_interact
from community.services.counts import (
    boards_recount,
    note_rescore,
)
from community.services.notifications import notification_create
from core.errors import NotFound, ValidationFailed


def board_create(
    *, owner: User, name: str, description: str = "", is_private: bool = False
) -> Board:
    """A new named board; names are unique per member, ignoring case."""
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationFailed(fields={"name": ["Board names have 1–50 characters."]})
    if Board.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationFailed(
            fields={"name": ["You already have a board with this name."]}, code="duplicate_board"
        )
    try:
        with transaction.atomic():
            return Board.objects.create(
                owner=owner, name=name, description=description.strip(), is_private=is_private
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"name": ["You already have a board with this name."]}, code="duplicate_board"
        ) from exc


def _board_for_collect(*, user: User, board_id: int | None, board_name: str | None) -> Board:
    if board_id is not None:
        board = Board.objects.filter(pk=board_id, owner=user).first()
        if board is None:
            raise NotFound("You have no board with this id.", fields={"board": ["Unknown board."]})
        return board
    # Cut to the stored length before the lookup, or a long name never
    # finds the board it created.
    name = (board_name or Board.DEFAULT_NAME).strip()[:50].strip() or Board.DEFAULT_NAME
    board = Board.objects.filter(owner=user, name__iexact=name).first()
    if board is not None:
        return board
    try:
        with transaction.atomic():
            return Board.objects.create(owner=user, name=name)
    except IntegrityError:
        return Board.objects.get(owner=user, name__iexact=name)


def collect_add(
    *, user: User, note: Note, board_id: int | None = None, board_name: str | None = None
) -> Collect:
    """Keep a note in one of the member's boards (the default "Saved" board,
    created on first use, unless one is named). Collecting again into another
    board moves it; into the same board is a no-op."""
    check_can_interact(user=user, note=note)
    with transaction.atomic():
        board = _board_for_collect(user=user, board_id=board_id, board_name=board_name)
        collect, created = Collect.objects.get_or_create(
            user=user, note=note, defaults={"board": board}
        )
        if created:
            Note.objects.filter(pk=note.pk).update(collect_count=F("collect_count") + 1)
            note_rescore(note.pk)
            boards_recount({board.pk})
            notification_create(
                recipient_id=note.author_id, actor=user, verb=Notification.Verb.COLLECT, note=note
            )
        elif collect.board_id != board.pk:
            old = collect.board_id
            Collect.objects.filter(pk=collect.pk).update(board=board)
            collect.board = board
            boards_recount({old, board.pk})
    return collect


def collect_remove(*, user: User, note: Note) -> bool:
    """Take a note out of the member's boards; idempotent."""
    with transaction.atomic():
        collect = Collect.objects.filter(user=user, note=note).first()
        if collect is None:
            return False
        collect.delete()
        Note.objects.filter(pk=note.pk, collect_count__gt=0).update(
            collect_count=F("collect_count") - 1
        )
        boards_recount({collect.board_id})
        Notification.objects.filter(
            actor=user, note=note, verb=Notification.Verb.COLLECT, read_at=None
        ).delete()
    return True
