"""HTML pages of live rooms: the room (player, chat, hearts, gifts), the
host's go-live page (rooms, stream key, OBS settings, traffic reports), the
"Live now" strip on discover (``community.extensions``), the POST that
ends a room, and a broadcast's replay (``/live/sessions/<id>/``: the video
with the room's timeline played back in time, driven by
``static/js/replay.js``) with its host's and moderators' forms.

Same discipline as ``community.views``: thin views (parse, call one service
or selector, render), POST-only writes that work without JavaScript, domain
errors turned into a friendly page by ``handles_domain_errors``. Everything
that moves afterwards (state, chat, hearts, viewers, gifts) comes over the
room's websocket, driven by ``static/js/live-room.js``.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import badges
from community.extensions import DiscoverStrip, ProfileSection
from community.models import User
from core.views import flag, handles_domain_errors, member, member_required, safe_next
from kol.extensions import StudioSection
from kol.selectors import can_host_live
from live import selectors, services
from live.errors import ReplayGone
from live.extensions import replay_panels_for, room_panels_for, session_report_templates
from live.forms import RoomForm
from live.models import LiveSession, Replay, Room
from live.selectors import replay_pages
from live.selectors.replays import replays_recent
from live.selectors.reports import host_live_and_replay_traffic
from live.services import replay_access
from wallet import providers as wallet_providers
from wallet import selectors as wallet_selectors
from wallet.rules import GIFT_QUANTITY_MAX

#: How many rooms the "Live now" strip shows (the most watched first).
LIVE_NOW_SHOWN = 12
#: How many live rooms it considers (the most recently started).
LIVE_NOW_CONSIDERED = 48
STUDIO_ROOMS = 12
STUDIO_REPORTS = 5
#: How many replays the live page lists, and a host's profile.
RECENT_REPLAYS = 12
PROFILE_REPLAYS = 6
HLS_SCRIPT = "vendor/hls.js/hls.min.js"
# Public contracts (SPEC.md), called by the room page's script. Literal on
# purpose: the page must not fail when an optional app (the wallet) is off.
GIFTS_API = "/api/v1/gifts/"
ME_API = "/api/v1/me"
RESTRICTIONS_API = "/api/v1/live/rooms/{room_id}/restrictions/"
MESSAGE_API = "/api/v1/live/messages/{message_id}/"
LEADERBOARD_API = "/api/v1/live/rooms/{room_id}/leaderboard/"
ROOM_GIFTS_API = "/api/v1/live/rooms/{room_id}/gifts/"
RECHARGE_API = "/api/v1/wallet/recharge"
TIMELINE_API = "/api/v1/live/sessions/{session_id}/timeline"
REPLAY_WATCH_API = "/api/v1/live/sessions/{session_id}/replay/watch"
FOLLOW_API = "/api/v1/users/{username}/follow"
# Recommended OBS / ffmpeg settings shown to hosts: 2-second keyframes match
# the HLS fragments nginx-rtmp cuts (deploy/nginx), so playback starts fast.
KEYFRAME_SECONDS = 2
GIFT_QUANTITIES = (1, 5, 10, GIFT_QUANTITY_MAX)
BITRATE_KBPS = (2500, 4000)


def playlist_url(room: Room) -> str:
    """Where the room's HLS playlist is once it is live: named by its public
    ``stream_name`` (never the key), so the page can start playing the
    moment it hears ``room_state: live`` without asking again."""
    return selectors.room_upcoming_playlist_url(room)


# --- "Live now" on discover -------------------------------------------------------


def live_now_strip(request: HttpRequest) -> DiscoverStrip | None:
    """The discover page's "Live now" band: rooms live now, the most watched
    first, with cover, host, title and viewers. One query (rooms with their
    hosts) and one read of the hot state; None when nobody is live."""
    rooms = list(
        selectors.room_list(state=Room.State.LIVE).order_by("-started_at", "-pk")[
            :LIVE_NOW_CONSIDERED
        ]
    )
    if not rooms:
        return None
    counts = selectors.room_counts(rooms)
    shown = sorted(
        ((room, counts.get(room.pk, selectors.NO_COUNTS).viewers) for room in rooms),
        key=lambda pair: -pair[1],
    )[:LIVE_NOW_SHOWN]
    return DiscoverStrip(
        name="live_now",
        template="live/partials/live_now_strip.html",
        context={"rooms": [{"room": room, "viewers": viewers} for room, viewers in shown]},
        stylesheets=("css/live.css",),
    )


# --- a host's replays on their profile ----------------------------------------------------


def profile_replays(request: HttpRequest, member: User) -> ProfileSection | None:
    """The host's recent replays above their notes (one query); for a host
    looking at their own profile before any replay, what will show there.
    None for members who have none to show."""
    cards = replay_pages.replay_cards(replays_recent(host=member, limit=PROFILE_REPLAYS))
    own = request.user.pk == member.pk
    if not cards and not (own and can_host_live(member)):
        return None
    return ProfileSection(
        name="replays",
        template="live/partials/profile_replays.html",
        context={"cards": cards, "own": own},
        stylesheets=("css/replay.css",),
        scripts=("js/replay-cards.js",),
    )


# --- the creator studio's band -------------------------------------------------------------


def studio_lives(request: HttpRequest, user: User) -> StudioSection | None:
    """The creator studio's band of the host's lives and what their replays
    brought since, side by side (two queries); None for creators who do not
    host and never did."""
    traffic = host_live_and_replay_traffic(user.pk)
    if not traffic.sessions and not can_host_live(user):
        return None
    return StudioSection(
        name="live_replays",
        template="live/partials/studio_lives.html",
        context={"traffic": traffic},
        stylesheets=("css/replay.css",),
    )


# --- the directory -------------------------------------------------------------------


@require_GET
def live_list(request: HttpRequest) -> HttpResponse:
    """``/live/``: who is live now, who is coming up, and recent broadcasts."""
    directory = selectors.live_directory()
    replays = replay_pages.replay_cards(replays_recent(limit=RECENT_REPLAYS))
    badges.attach([*directory.hosts, *(card.host for card in replays)])
    return render(request, "live/list.html", {"directory": directory, "replays": replays})


# --- the room ------------------------------------------------------------------------


def _room_config(request: HttpRequest, detail: selectors.RoomDetail) -> dict[str, Any]:
    """What the room's script needs, handed over as JSON (``json_script``)."""
    room = detail.room
    user = request.user
    you = None
    if isinstance(user, User):
        you = {"id": user.pk, "username": user.username, "display_name": user.shown_name}
    return {
        "roomId": room.pk,
        "hostId": room.host_id,
        "state": room.state,
        "playlist": playlist_url(room),
        "hlsScript": static(HLS_SCRIPT),
        "wsPath": f"/ws/live/{room.pk}/",
        "you": you,
        "moderator": detail.can_moderate,
        "viewers": detail.counts.viewers,
        "hearts": detail.final.hearts if detail.final else detail.counts.hearts,
        "maxLength": int(settings.SPROUT_LIVE_CHAT_MAX_LENGTH),
        "loginUrl": f"{reverse('login')}?{urlencode({'next': request.path}, safe='/')}",
        "listUrl": reverse("live_list"),
        "api": {
            "gifts": GIFTS_API,
            "me": ME_API,
            "restrictions": RESTRICTIONS_API.format(room_id=room.pk),
            "message": MESSAGE_API,
            "leaderboard": LEADERBOARD_API.format(room_id=room.pk),
            "roomGifts": ROOM_GIFTS_API.format(room_id=room.pk),
            "recharge": RECHARGE_API,
            "follow": FOLLOW_API.format(username=room.host.username),
        },
        "final": asdict(detail.final) if detail.final is not None else None,
        # The gift lines of the chat so far (the websocket's hello carries
        # its chat lines; gifts come live from then on).
        "recentGifts": selectors.room_recent_gifts(room.pk),
    }


def _follow(request: HttpRequest, detail: selectors.RoomDetail) -> dict[str, bool] | None:
    """The Follow button for a member who is not the host (None: no button;
    visitors get a log-in link instead)."""
    user = request.user
    if not isinstance(user, User) or user.pk == detail.room.host_id:
        return None
    return {"following": detail.follows_host}


def _topup(request: HttpRequest, detail: selectors.RoomDetail) -> dict[str, Any] | None:
    """The in-room top-up sheet for members who may send gifts here: the
    wallet's packs (``wallet.selectors.recharge_packs``), bought through its
    recharge API."""
    user = request.user
    if not isinstance(user, User) or user.pk == detail.room.host_id:
        return None
    return {
        "packs": wallet_selectors.recharge_packs(),
        "default": wallet_selectors.DEFAULT_PACK,
        "sandbox": wallet_providers.default_provider().name == "sandbox",
        "wallet_url": reverse("wallet"),
    }


@require_GET
@handles_domain_errors
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """A live room: the player with its states (starting soon, starting,
    live, ended), the chat, hearts, gifts and, for its moderators, the
    moderation controls. 404 for an unknown room, 403 for a banned member."""
    detail = selectors.room_detail(room_id=pk, viewer=request.user, for_page=True)
    panels = room_panels_for(request, detail)
    context = {
        "room": detail.room,
        "host": detail.room.host,
        "detail": detail,
        "config": _room_config(request, detail),
        "can_moderate": detail.can_moderate,
        "max_length": int(settings.SPROUT_LIVE_CHAT_MAX_LENGTH),
        "gift_quantities": GIFT_QUANTITIES,
        "final": detail.final,
        # The ended room's last broadcast, to watch again (when there is a replay).
        "replay_url": replay_pages.session_replay_url(
            session_id=detail.final.session_id if detail.final else None, viewer=request.user
        ),
        # An ended room shows its report's hearts; a live one its hot counter.
        "hearts_shown": detail.final.hearts if detail.final else detail.counts.hearts,
        "follow": _follow(request, detail),
        "topup": _topup(request, detail),
        # Parts of the page from the apps above (the shop's pinned product).
        "stage_panels": [p for p in panels if p.where == "stage"],
        "info_panels": [p for p in panels if p.where == "info"],
        "panel_scripts": list(dict.fromkeys(s for p in panels for s in p.scripts)),
        "panel_stylesheets": list(dict.fromkeys(s for p in panels for s in p.stylesheets)),
    }
    return render(request, "live/room.html", context)


@require_POST
@member_required
@handles_domain_errors
def room_end(request: HttpRequest, pk: int) -> HttpResponse:
    """The host or a moderator ends the room (a scheduled one is cancelled);
    back to where the form was."""
    found = selectors.room_by_id(pk)
    services.room_end(actor=member(request), room=found)
    messages.success(request, f"“{found.title}” has ended.")
    return redirect(safe_next(request, found.get_absolute_url()))


# --- replays ------------------------------------------------------------------------------


def _replay_config(request: HttpRequest, page: replay_pages.ReplayPage) -> dict[str, Any]:
    """What the replay's script needs, handed over as JSON (``json_script``)."""
    user = request.user
    session = page.session
    brief = page.brief
    return {
        "sessionId": session.pk,
        "roomId": session.room_id,
        "hostId": session.room.host_id,
        "hls": brief["hls_url"] if brief else "",
        "durationS": brief["duration_s"] if brief else 0,
        "startOffsetMs": page.replay.start_offset_ms,
        "hlsScript": static(HLS_SCRIPT),
        "you": {"id": user.pk} if isinstance(user, User) else None,
        "api": {
            "timeline": TIMELINE_API.format(session_id=session.pk),
            "watch": REPLAY_WATCH_API.format(session_id=session.pk),
        },
    }


@require_GET
@handles_domain_errors
def replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Broadcast ``pk``'s replay: the video, seekable, with the room's
    timeline (chat, gifts, hearts, the pinned product) played back in time;
    for its host and the moderators, notices and their controls. 404 when
    there is none to see, 410 once deleted or expired."""
    page = replay_pages.replay_page(session_id=pk, viewer=request.user)
    if page.gone:
        return render(request, "live/replay_gone.html", {"page": page}, status=410)
    panels = replay_panels_for(request, page.session) if page.playable else []
    context = {
        "page": page,
        "replay": page.replay,
        "session": page.session,
        "room": page.room,
        "host": page.host,
        "config": _replay_config(request, page),
        "stage_panels": panels,
        "panel_scripts": list(dict.fromkeys(s for p in panels for s in p.scripts)),
        "panel_stylesheets": list(dict.fromkeys(s for p in panels for s in p.stylesheets)),
    }
    return render(request, "live/replay.html", context)


def _back_to_replay(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(safe_next(request, reverse("live_replay", args=[pk])))


def _gone(request: HttpRequest, found: Replay) -> HttpResponse:
    """A form sent to a replay deleted or expired meanwhile: its page says so."""
    page = replay_pages.replay_page(session_id=found.session_id, viewer=request.user)
    return render(request, "live/replay_gone.html", {"page": page}, status=410)


@require_POST
@member_required
@handles_domain_errors
def replay_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """The host publishes (``on=1``) or unpublishes (``on=0``) the replay."""
    found = replay_pages.session_replay(pk)
    published = flag(request)
    try:
        replay_access.replay_publish(actor=member(request), replay=found, published=published)
    except ReplayGone:
        return _gone(request, found)
    messages.success(
        request,
        "The replay is published: members can watch it."
        if published
        else "The replay is unpublished: only you and the moderators can watch it.",
    )
    return _back_to_replay(request, pk)


@require_POST
@member_required
@handles_domain_errors
def replay_hide(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator hides the replay with a reason (``on=1``), or shows it
    again (``on=0``)."""
    found = replay_pages.session_replay(pk)
    actor = member(request)
    try:
        if flag(request):
            reason = request.POST.get("reason", "")
            replay_access.replay_hide(actor=actor, replay=found, reason=reason)
            messages.success(request, "The replay is hidden from members.")
        else:
            replay_access.replay_unhide(actor=actor, replay=found)
            messages.success(request, "The replay is visible again.")
    except ReplayGone:
        return _gone(request, found)
    return _back_to_replay(request, pk)


@require_POST
@member_required
@handles_domain_errors
def replay_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The host (or a site moderator) deletes the replay and its files; back
    to ``next``, else the live page (the replay's own page is gone)."""
    found = replay_pages.session_replay(pk)
    replay_access.replay_delete(actor=member(request), replay=found)
    messages.success(request, "The replay is deleted.")
    gone = reverse("live_replay", args=[pk])
    back = safe_next(request, reverse("live_list"))
    return redirect(reverse("live_list") if back == gone else back)


# --- the go-live page -------------------------------------------------------------------


def ffmpeg_command(*, server: str, key: str) -> str:
    """A publishing command for hosts without OBS (a file, a camera...):
    H.264 + AAC with the recommended keyframe interval and bitrate."""
    low, high = BITRATE_KBPS
    return shlex.join(
        [
            "ffmpeg", "-re", "-i", "INPUT.mp4",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-b:v", f"{low}k", "-maxrate", f"{high}k", "-bufsize", f"{2 * high}k",
            "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
            "-f", "flv", f"{server.rstrip('/')}/{key}",
        ]
    )  # fmt: skip


def _studio_context(host: User, *, form: RoomForm, new_key: str = "") -> dict[str, Any]:
    server = str(settings.SPROUT_LIVE_RTMP_URL)
    rooms = list(host.rooms.order_by("-created_at", "-pk")[:STUDIO_ROOMS])
    sessions = (
        LiveSession.objects.filter(room__host=host)
        .select_related("room")
        .order_by("-started_at", "-pk")[:STUDIO_REPORTS]
    )
    return {
        "form": form,
        "rooms": rooms,
        "live_room": next((r for r in rooms if r.state == Room.State.LIVE), None),
        "next_room": next((r for r in rooms if r.state == Room.State.SCHEDULED), None),
        "active_key": selectors.stream_key_active(host=host),
        "new_key": new_key,
        "server": server,
        "ffmpeg": ffmpeg_command(server=server, key=new_key or "YOUR_STREAM_KEY"),
        "keyframe_seconds": KEYFRAME_SECONDS,
        "bitrate_kbps": BITRATE_KBPS,
        "reports": [selectors.session_report(session) for session in sessions],
        "report_templates": session_report_templates.items(),
    }


def _not_a_host(request: HttpRequest) -> HttpResponse:
    return render(request, "live/go_live_denied.html", status=403)


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def go_live(request: HttpRequest) -> HttpResponse:
    """The host's go-live page; POST creates a scheduled room (title, cover).
    Members who may not host see why, and where to apply."""
    host = member(request)
    if not can_host_live(host):
        return _not_a_host(request)
    form = RoomForm()
    if request.method == "POST":
        form = RoomForm(request.POST, request.FILES)
        if form.is_valid() and (created := form.save(host=host)) is not None:
            messages.success(
                request,
                f"“{created.title}” is scheduled: start streaming and it goes live.",
            )
            return redirect("go_live")
    status = 400 if form.errors else 200
    return render(request, "live/go_live.html", _studio_context(host, form=form), status=status)


@require_POST
@member_required
@handles_domain_errors
def go_live_key(request: HttpRequest) -> HttpResponse:
    """Make a new stream key (the old one stops working at once) and show it,
    this once: the answer is the page itself, never cached, never
    redirected to (a reload does not show it again)."""
    host = member(request)
    if not can_host_live(host):
        return _not_a_host(request)
    _, plaintext = services.stream_key_rotate(host=host)
    response = render(
        request, "live/go_live.html", _studio_context(host, form=RoomForm(), new_key=plaintext)
    )
    add_never_cache_headers(response)
    return response
