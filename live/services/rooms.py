"""Rooms and their broadcasts: writes (``live.services``).

A room is ``scheduled`` when its host creates it, ``live`` while the host
publishes (``session_start``, called by the ingest callback), ``ended`` after
(``session_end``, by the publish-done callback, the host or a moderator with
``room_end``, or ``rooms_end_stale`` when the publisher vanished). Every
broadcast is a :class:`~live.models.LiveSession`; the hot counters of
``live.state`` are folded into it when it ends, which makes its traffic
report (``live.selectors.session_report``) and feeds screening
(``live.selectors.live_performance``).

Every broadcast gets a replay as it starts (``live.services.replays``), made
from nginx's recordings once the session has ended.

Events reach the room after commit (``live.events.room_event_send_on_commit``);
followers hear that the host went live through a Celery task, also after
commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from community.models import Follow, Notification, User
from community.services import followers_notify
from core.errors import InvalidImage
from core.images import prepare_upload
from kol.selectors import can_host_live
from live import abr, events, extensions
from live.errors import NotAHost, PermissionDenied, ValidationFailed
from live.models import COVER_MAX_SIDE, HeartsMark, LiveSession, Room
from live.permissions import is_room_moderator, is_site_moderator
from live.selectors.reports import room_traffic_counters
from live.selectors.rooms import room_url, rooms_stale
from live.services.replays import replay_begin, replay_session_ended
from live.state import room_state

logger = logging.getLogger("sprout.live")

TITLE_MAX_LENGTH = 100


# --- rooms ------------------------------------------------------------------------------


def room_create(*, host: User, title: str, cover: File | None = None) -> Room:
    """A scheduled room of ``host`` (who must be allowed to host: NotAHost).
    A ``cover`` goes through the one image pipeline (``core.images``:
    validated by content, no metadata kept), scaled to ``COVER_MAX_SIDE``;
    a refused one raises ``InvalidImage`` with the pipeline's code."""
    if not can_host_live(host):
        raise NotAHost()
    clean = (title if isinstance(title, str) else "").strip()
    if not clean:
        raise ValidationFailed(fields={"title": ["A room needs a title."]})
    if len(clean) > TITLE_MAX_LENGTH:
        raise ValidationFailed(
            fields={"title": [f"At most {TITLE_MAX_LENGTH} characters ({len(clean)} given)."]}
        )
    room = Room(host=host, title=clean)
    if cover is not None:
        try:
            prepared = prepare_upload(cover, max_side=COVER_MAX_SIDE)
        except InvalidImage as exc:
            raise InvalidImage(exc.message, code=exc.code, fields={"cover": exc.message}) from exc
        cleaned = prepared.as_file()
        room.cover.save(cleaned.name or "", cleaned, save=False)
    try:
        room.save()
    except BaseException:
        if room.cover:
            # No row will ever point at the file: do not leave it behind.
            room.cover.storage.delete(room.cover.name or "")
        raise
    return room


def room_moderator_add(*, actor: User, room: Room, user: User) -> None:
    """Make ``user`` a moderator of the room (idempotent). The host and site
    moderators may; room moderators may not appoint others."""
    if actor.pk != room.host_id and not is_site_moderator(actor):
        raise PermissionDenied("Only the host can choose the room's moderators.")
    if user.pk == room.host_id:
        raise ValidationFailed(fields={"user": ["The host already moderates the room."]})
    room.moderators.add(user)


def room_moderator_remove(*, actor: User, room: Room, user: User) -> None:
    """Take ``user`` off the room's moderators (idempotent)."""
    if actor.pk != room.host_id and not is_site_moderator(actor):
        raise PermissionDenied("Only the host can choose the room's moderators.")
    room.moderators.remove(user)


# --- broadcasts ----------------------------------------------------------------------


def _after_commit(func: Any, *args: Any) -> None:
    # robust: a failed enqueue is logged; it must not turn the committed
    # state change into an error for nginx (events: live.events, the same).
    transaction.on_commit(partial(func, *args), robust=True)


def _refresh(room: Room) -> None:
    room.refresh_from_db(fields=["state", "started_at", "ended_at", "last_seen_at"])


def session_start(*, room: Room, client_addr: str) -> LiveSession:
    """Bring a scheduled room live: a new LiveSession, fresh counters (and
    what the apps above attach to it: ``live.extensions.session_started``);
    after commit the room hears ``room_state: live`` and the host's
    followers are notified (once per room)."""
    with transaction.atomic():
        locked = Room.objects.select_for_update().select_related("host").get(pk=room.pk)
        if not can_host_live(locked.host):
            raise NotAHost()
        if locked.state == Room.State.LIVE:
            raise PermissionDenied("This room is already live.", code="already_live")
        if locked.state == Room.State.ENDED:
            raise PermissionDenied(
                "This room has ended; create a new room to go live again.", code="room_ended"
            )
        now = timezone.now()
        locked.state = Room.State.LIVE
        locked.started_at = now
        locked.ended_at = None
        locked.last_seen_at = now
        locked.save(update_fields=["state", "started_at", "ended_at", "last_seen_at"])
        session = LiveSession.objects.create(
            room=locked,
            client_addr=(client_addr or "")[:64],
            renditions=abr.live_rendition_names(),
        )
        # Every broadcast is kept: its replay waits for nginx's recordings.
        replay_begin(session)
        for started in extensions.session_started:
            started(session)
        # Counters left from an earlier broadcast must not leak into this one.
        room_state().clear(locked.pk)
        events.room_event_send_on_commit(locked.pk, events.room_state(Room.State.LIVE))
        _after_commit(_enqueue_went_live, locked.pk)
    _refresh(room)
    logger.info("live room %s is live (session %s)", room.pk, session.pk)
    return session


def _enqueue_went_live(room_id: int) -> None:
    from live.tasks import notify_went_live  # tasks import this module

    notify_went_live.delay(room_id)


def followers_notify_live(*, room_id: int) -> int:
    """Tell the host's followers the room is live: one notification each, once
    per room (a redelivered task tells nobody twice). Returns how many were
    told."""
    room = Room.objects.select_related("host").filter(pk=room_id).first()
    if room is None or room.state != Room.State.LIVE:
        return 0
    told = Notification.objects.filter(
        actor=room.host, verb=Notification.Verb.WENT_LIVE, data__room_id=room.pk
    )
    if told.exists():
        return 0
    return followers_notify(
        actor=room.host,
        verb=Notification.Verb.WENT_LIVE,
        data={"room_id": room.pk, "url": room_url(room), "title": room.title},
    )


def _end_live(room_id: int, *, reason: str, stale_before: datetime | None = None) -> bool:
    """End one live room under its lock; returns False when there was nothing
    to end (already ended, or, with ``stale_before``, seen again since)."""
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None or room.state != Room.State.LIVE:
            return False
        seen = room.last_seen_at or room.started_at
        if stale_before is not None and seen is not None and seen >= stale_before:
            return False  # heard from again since the stale rooms were listed
        now = timezone.now()
        session = LiveSession.objects.select_for_update().filter(room=room, ended_at=None).first()
        if session is not None:
            for name, value in room_traffic_counters(room.pk).items():
                setattr(session, name, value)
            hearts_marks_fold(session, _hearts_by_second(room.pk), ended_at=now)
            session.new_followers = Follow.objects.filter(
                followee_id=room.host_id, created_at__gte=session.started_at, created_at__lte=now
            ).count()
            session.ended_at = now
            session.save()
            # The replay is finished once the recordings are all in (they may
            # have arrived before publish-done, or come after it).
            _after_commit(replay_session_ended, session)
        room.state = Room.State.ENDED
        room.ended_at = now
        room.save(update_fields=["state", "ended_at"])
        events.room_event_send_on_commit(room.pk, events.room_state(Room.State.ENDED))
        _after_commit(room_state().clear, room.pk)
    logger.info("live room %s ended (%s)", room_id, reason)
    return True


def _hearts_by_second(room_id: int) -> dict[int, int]:
    try:
        return room_state().hearts_by_second_sync(room_id)
    except Exception:
        # As with the counters (room_traffic_counters): the room must end
        # when the hot state is unreachable; its replay then has no hearts.
        logger.exception("hearts of room %s over time are unreadable", room_id)
        return {}


def hearts_marks_fold(
    session: LiveSession, by_second: dict[int, int], *, ended_at: datetime
) -> int:
    """The session's hearts over time (``live.state``'s hearts of each epoch
    second) as ``HeartsMark`` rows: the running total at each second that had
    hearts, ``offset_ms`` from the session's start (a second that began
    before it, at 0). Seconds outside ``[started_at, ended_at]`` are left
    out. One insert; returns how many marks."""
    start_ms = int(session.started_at.timestamp() * 1000)
    end_ms = int(ended_at.timestamp() * 1000)
    marks, total = [], 0
    for second in sorted(by_second):
        begins = second * 1000
        if begins + 1000 <= start_ms or begins > end_ms or by_second[second] <= 0:
            continue
        total += by_second[second]
        offset = max(0, begins - start_ms)
        marks.append(HeartsMark(session=session, offset_ms=offset, total=total))
    HeartsMark.objects.bulk_create(marks, batch_size=1000)
    return len(marks)


def session_end(*, room: Room, reason: str) -> LiveSession | None:
    """End the room's broadcast: its LiveSession gets the traffic counters
    (peak and unique viewers, watch time, chat, hearts, dropped viewers) and
    the host's new followers since it started; the room is ``ended`` and hears
    so. Idempotent: None when the room was not live. ``reason`` is logged
    (``publish_done``, ``stale``, ``ended_by:<user id>``)."""
    ended = _end_live(room.pk, reason=reason)
    _refresh(room)
    if not ended:
        return None
    return room.sessions.order_by("-started_at", "-pk").first()


def room_end(*, actor: User, room: Room) -> LiveSession | None:
    """The host or a moderator ends the room, with or without a publisher (a
    scheduled room is cancelled). nginx drops a publisher still pushing at its
    next ``on_update`` (``live.ingest.update`` refuses an ended room)."""
    if not is_room_moderator(actor, room):
        raise PermissionDenied("Only the host or a moderator can end this room.")
    with transaction.atomic():
        cancelled = Room.objects.filter(pk=room.pk, state=Room.State.SCHEDULED).update(
            state=Room.State.ENDED, ended_at=timezone.now()
        )
        if cancelled:
            events.room_event_send_on_commit(room.pk, events.room_state(Room.State.ENDED))
    if cancelled:
        _refresh(room)
        return None
    return session_end(room=room, reason=f"ended_by:{actor.pk}")


def rooms_end_stale(*, older_than_seconds: int) -> int:
    """End the live rooms whose publisher vanished without a publish-done
    (nginx restarted, the network broke): not seen for ``older_than_seconds``.
    Returns how many ended."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ended = 0
    for room_id in rooms_stale(older_than_seconds=older_than_seconds).values_list("pk", flat=True):
        if _end_live(room_id, reason="stale", stale_before=cutoff):
            ended += 1
    return ended


# --- what the ingest callbacks need ------------------------------------------------------


def broadcast_begin(*, host: User, client_addr: str) -> LiveSession:
    """A host started publishing: bring live their most recently created
    scheduled room. Refused (domain errors) when they may not host, are
    already live, or have no scheduled room."""
    if not can_host_live(host):
        raise NotAHost()
    if Room.objects.filter(host=host, state=Room.State.LIVE).exists():
        raise PermissionDenied(
            "You are already live; end that room before publishing again.", code="already_live"
        )
    room = (
        Room.objects.filter(host=host, state=Room.State.SCHEDULED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if room is None:
        raise PermissionDenied(
            "No scheduled room: create a room before going live.", code="no_scheduled_room"
        )
    return session_start(room=room, client_addr=client_addr)


def broadcast_finish(*, host: User, reason: str) -> list[LiveSession]:
    """The host's publisher stopped: end their live room(s). Idempotent."""
    sessions = []
    for room in Room.objects.filter(host=host, state=Room.State.LIVE):
        session = session_end(room=room, reason=reason)
        if session is not None:
            sessions.append(session)
    return sessions


def broadcast_seen(*, host: User) -> Room | None:
    """The host's publisher is still there: refresh ``last_seen_at`` of their
    live room and return it (None: no live room, the publisher must stop)."""
    room = Room.objects.filter(host=host, state=Room.State.LIVE).order_by("-started_at").first()
    if room is None:
        return None
    Room.objects.filter(pk=room.pk).update(last_seen_at=timezone.now())
    return room
