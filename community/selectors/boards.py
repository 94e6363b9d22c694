"""Reads of boards and what members collected into them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from community.models import Board, Collect, Note, Photo, User
from community.selectors.notes import note_cards, note_visible
from core.errors import NotFound


def user_boards(*, owner: User, viewer: Any) -> QuerySet[Board]:
    """A member's boards; private ones only for their owner."""
    boards = Board.objects.filter(owner=owner)
    if getattr(viewer, "pk", None) != owner.pk:
        boards = boards.filter(is_private=False)
    return boards.order_by("created_at", "id")


def board_for_viewer(*, board_id: int, viewer: Any) -> Board:
    board = Board.objects.select_related("owner").filter(pk=board_id).first()
    if board is None or (board.is_private and getattr(viewer, "pk", None) != board.owner_id):
        raise NotFound("This board does not exist.")
    return board


def board_notes(*, board: Board, viewer: Any) -> QuerySet[Note]:
    notes = note_visible(viewer).filter(collects__board=board).order_by("-collects__id")
    return note_cards(notes, viewer)


def board_collected(*, user: Any, note: Note) -> Board | None:
    """The board in which ``user`` keeps ``note``, if any (the board picker
    marks it)."""
    if not getattr(user, "is_authenticated", False):
        return None
    collect = Collect.objects.filter(user_id=user.pk, note=note).select_related("board").first()
    return collect.board if collect is not None else None


def board_covers(*, boards: list[Board], viewer: Any, per_board: int = 3) -> dict[int, list[Photo]]:
    """Cover photos of boards: the first photo of each of the ``per_board``
    most recently collected notes the viewer may see. Two queries whatever
    the number of boards (a window function picks the latest collects)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    if not boards:
        return {}
    latest = (
        Collect.objects.filter(board__in=boards, note__in=note_visible(viewer))
        .annotate(rank=Window(RowNumber(), partition_by=F("board_id"), order_by=F("id").desc()))
        .filter(rank__lte=per_board)
        .order_by("board_id", "rank")
        .values_list("board_id", "note_id")
    )
    pairs = list(latest)
    first_photo: dict[int, Photo] = {}
    for photo in Photo.objects.filter(note_id__in={n for _, n in pairs}).order_by(
        "note_id", "position", "id"
    ):
        if photo.note_id is not None:
            first_photo.setdefault(photo.note_id, photo)
    covers: dict[int, list[Photo]] = {board.pk: [] for board in boards}
    for board_id, note_id in pairs:
        if note_id in first_photo:
            covers[board_id].append(first_photo[note_id])
    return covers
