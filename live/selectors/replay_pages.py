"""Reads of the replay pages: one broadcast's replay as its page shows it
(``/live/sessions/<id>/``), the replay an ended room links to, and the
replay cards of the lists (the live page, a host's profile).

Who may watch, and the URLs of a replay's files, are
:mod:`live.selectors.replays`' (``replay_visible_to``, ``replay_brief``):
these only arrange them for pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from community.models import User
from core.api import ID_MAX
from live import permissions
from live.errors import NotFound
from live.models import LiveSession, Replay, Room
from live.selectors.replays import ReplayBrief, replay_brief, replay_manages, replay_visible_to

#: What a replay's page says instead of (or above) the player.
NOTICE_PROCESSING = "processing"
NOTICE_FAILED = "failed"
NOTICE_UNPUBLISHED = "unpublished"
NOTICE_HIDDEN = "hidden"
NOTICE_GONE = "gone"

_PREPARING = (Replay.State.RECORDING, Replay.State.PROCESSING)
_GONE = (Replay.State.DELETED, Replay.State.EXPIRED)


@dataclass(frozen=True)
class ReplayPage:
    """A broadcast's replay as its page shows it.

    ``playable``: the player plays it (ready, and the viewer may see it);
    ``notices``: what the page says about it (processing, failed, unpublished,
    hidden, gone), the host's and moderators' notices included;
    ``is_host`` may publish, unpublish and delete it; ``can_hide`` may hide
    it (the room's and the site's moderators) and ``can_delete`` may delete
    it (the host, site moderators), as :mod:`live.services.replay_access`
    allows."""

    session: LiveSession
    replay: Replay
    playable: bool
    notices: tuple[str, ...]
    is_host: bool
    can_hide: bool
    can_delete: bool
    brief: ReplayBrief | None

    @property
    def room(self) -> Room:
        return self.session.room

    @property
    def host(self) -> User:
        return self.session.room.host

    @property
    def gone(self) -> bool:
        return NOTICE_GONE in self.notices


def _replay_of(session_id: int, *related: str) -> Replay | None:
    """Broadcast ``session_id``'s replay. A foreign key's lookup does not
    bound the number as a primary key's does (SQLite overflows): an id no
    row can have finds nothing."""
    if not 0 < session_id <= ID_MAX:
        return None
    return Replay.objects.select_related(*related).filter(session_id=session_id).first()


def replay_page(*, session_id: int, viewer: Any) -> ReplayPage:
    """The replay of broadcast ``session_id`` for ``viewer``: NotFound when
    the broadcast is unknown, has no replay, or its replay is not the
    viewer's to see (unpublished, hidden or failed, for everyone but its
    host and the moderators). A replay being made shows as such to all who
    will be able to watch it; a deleted or expired one is ``gone``."""
    replay = _replay_of(session_id, "session__room__host", "hidden_by")
    if replay is None:
        raise NotFound("This broadcast has no replay.")
    session = replay.session
    is_host = bool(viewer.is_authenticated and viewer.pk == session.room.host_id)
    site_moderator = permissions.is_site_moderator(viewer)
    if replay.state in _GONE:
        return ReplayPage(
            session=session,
            replay=replay,
            playable=False,
            notices=(NOTICE_GONE,),
            is_host=is_host,
            can_hide=False,
            can_delete=False,
            brief=None,
        )
    visible = replay_visible_to(viewer, replay)
    manager = replay_manages(viewer, replay)
    publicly_coming = replay.published and replay.hidden_at is None and replay.state in _PREPARING
    if not visible and not publicly_coming:
        raise NotFound("This replay is not available.")
    notices: list[str] = []
    if replay.state in _PREPARING:
        notices.append(NOTICE_PROCESSING)
    elif replay.state == Replay.State.FAILED:
        notices.append(NOTICE_FAILED)
    if not replay.published:
        notices.append(NOTICE_UNPUBLISHED)
    if replay.hidden_at is not None:
        notices.append(NOTICE_HIDDEN)
    playable = visible and replay.state == Replay.State.READY
    return ReplayPage(
        session=session,
        replay=replay,
        playable=playable,
        notices=tuple(notices),
        is_host=is_host,
        can_hide=manager and not is_host,
        can_delete=is_host or site_moderator,
        brief=replay_brief(replay) if playable else None,
    )


def session_replay(session_id: int) -> Replay:
    """Broadcast ``session_id``'s replay, with its session, room and host, for
    the host's and moderators' forms (NotFound: no such broadcast or no
    replay); whether the actor may change it is the services' to say."""
    replay = _replay_of(session_id, "session__room__host")
    if replay is None:
        raise NotFound("This broadcast has no replay.")
    return replay


def session_replay_url(*, session_id: int | None, viewer: Any) -> str | None:
    """The page of broadcast ``session_id``'s replay when ``viewer`` may
    watch it (an ended room links to it); None otherwise."""
    if session_id is None:
        return None
    replay = Replay.objects.select_related("session__room").filter(session_id=session_id).first()
    if replay is None or replay.state != Replay.State.READY:
        return None
    if not replay_visible_to(viewer, replay):
        return None
    return reverse("live_replay", args=[session_id])


@dataclass(frozen=True)
class ReplayCard:
    """A replay in a list: its page, poster, muted preview, duration, the
    broadcast's title and host, and its views."""

    replay: Replay
    url: str
    poster_url: str
    preview_url: str
    duration_s: int

    @property
    def session(self) -> LiveSession:
        return self.replay.session

    @property
    def room(self) -> Room:
        return self.replay.session.room

    @property
    def host(self) -> User:
        return self.replay.session.room.host


def replay_cards(replays: Iterable[Replay]) -> list[ReplayCard]:
    """Cards of ``replays`` (loaded with their session, room and host, as
    ``replays_recent`` loads them): no query per card."""
    cards = []
    for replay in replays:
        brief = replay_brief(replay)
        if brief is None:
            continue
        cards.append(
            ReplayCard(
                replay=replay,
                url=reverse("live_replay", args=[replay.session_id]),
                poster_url=brief.get("poster_url") or "",
                preview_url=brief.get("preview_url") or "",
                duration_s=int(brief.get("duration_s") or 0),
            )
        )
    return cards
