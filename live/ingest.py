"""The nginx-rtmp callbacks (``deploy/nginx/nginx.conf.template``).

nginx's ``ingest`` application asks Django before it accepts a stream and
tells it when the stream stops or is still there:

``POST /live/ingest/publish``  (``on_publish``)
    A form with ``app, name`` (the stream key), ``addr, clientid, call=publish,
    type, tcurl`` and the publish URL's query arguments. A valid active key of
    a host who may go live brings live the host's most recently created
    scheduled room and is answered ``302 Location: <room.stream_name>``:
    nginx renames the stream, pushes it to the ``show`` application, which
    writes HLS under that public name, so the key never appears in a URL.
    Anything else is refused with a 4xx (nginx drops the publisher).
``POST /live/ingest/publish-done``  (``on_publish_done``)
    Ends that host's live room and writes its traffic report. Idempotent.
``POST /live/ingest/update``  (``on_update``, every ``notify_update_timeout``)
    Refreshes the room's ``last_seen_at``; a 403 makes nginx drop a publisher
    whose key was revoked or whose room was ended meanwhile.

``POST /live/ingest/record-done``  (``on_record_done``)
    nginx-rtmp closed a recording: ``name`` is the public stream name
    (``<room.stream_name>``, or ``<room.stream_name>_<rendition>`` with ABR),
    ``path`` the FLV file in the record directory. It becomes a source of the
    session's replay (``live.services.replays.replay_source_add``): 200
    ``recorded``; 404 for an unknown stream or a refused recording; 400 for a
    form that is not one.

Only nginx may call them: its callbacks go through a loopback-only location
of its own HTTP server, which adds the header ``X-Sprout-Ingest-Secret`` (the
setting ``SPROUT_LIVE_INGEST_SECRET``) on the way to Django. A wrong or
missing secret, or none configured, is a 403. The secret is never in a URL,
where access logs would keep it: a callback carrying ``?secret=`` (a config
rendered before the header) is refused too, saying how to fix it. If Django
is down nginx cannot ask, and refuses the publisher. Answers are short plain
text (nginx only reads the status and ``Location``).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kol.selectors import can_host_live
from live import selectors, services
from live.errors import DomainError

logger = logging.getLogger("sprout.live.ingest")


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")


SECRET_HEADER = "X-Sprout-Ingest-Secret"  # noqa: S105 (a header name)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """A 403 unless the request carries the ingest secret in its header."""
    expected = getattr(settings, "SPROUT_LIVE_INGEST_SECRET", "") or ""
    if not expected:
        logger.error("SPROUT_LIVE_INGEST_SECRET is not set: every publish is refused")
        return _text(403, "ingest is not configured")
    if "secret" in request.GET:
        # An nginx config rendered before the secret moved to a header: it
        # leaks the secret into access logs, so it is refused, loudly.
        logger.error(
            "ingest callback from %s has the secret in its URL; re-render nginx's config "
            "(scripts/nginx-rtmp start or config): the secret goes in the %s header",
            _peer(request),
            SECRET_HEADER,
        )
        return _text(403, f"the ingest secret belongs in the {SECRET_HEADER} header, not the URL")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        logger.warning("ingest callback without the right secret from %s", _peer(request))
        return _text(403, "forbidden")
    return None


def _peer(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "?"))


def _field(request: HttpRequest, name: str) -> str:
    return str(request.POST.get(name, "") or "")


def _wrong_call(request: HttpRequest, *expected: str) -> HttpResponse | None:
    call = _field(request, "call")
    if call and call not in expected:
        return _text(400, f"unexpected call {call[:40]!r}")
    return None


@csrf_exempt
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    """``on_publish``: accept a host's key and name the public stream."""
    refused = _refusal(request) or _wrong_call(request, "publish")
    if refused is not None:
        return refused
    key = _field(request, "name")
    if not key:
        return _text(400, "no stream key")
    addr = _field(request, "addr")
    host = selectors.stream_key_host(key)
    if host is None:
        logger.info("publish refused from %s: unknown or revoked stream key", addr or "?")
        return _text(403, "unknown or revoked stream key")
    try:
        session = services.broadcast_begin(host=host, client_addr=addr)
    except DomainError as exc:
        logger.info("publish of %s refused: %s", host.username, exc.code)
        return _text(403, exc.message)
    response = _text(302, "live")
    # nginx renames the stream to this: the HLS files carry it, never the key.
    response["Location"] = session.room.stream_name
    return response


@csrf_exempt
@require_POST
def publish_done(request: HttpRequest) -> HttpResponse:
    """``on_publish_done``: the publisher stopped (or was killed, or dropped)."""
    refused = _refusal(request) or _wrong_call(request, "publish_done")
    if refused is not None:
        return refused
    key = _field(request, "name")
    if not key:
        return _text(400, "no stream key")
    # A key revoked while the stream ran must still end its room.
    host = selectors.stream_key_host(key, include_revoked=True)
    if host is None:
        return _text(404, "unknown stream key")
    ended = services.broadcast_finish(host=host, reason="publish_done")
    return _text(200, "ended" if ended else "nothing was live")


@csrf_exempt
@require_POST
def update(request: HttpRequest) -> HttpResponse:
    """``on_update``: the publisher is still there. Only ``update_publish``
    is checked; the other updates (the local push relay's ``update_play``)
    are acknowledged, since any refusal would cut that connection."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    if _field(request, "call") != "update_publish":
        return _text(200, "ok")
    host = selectors.stream_key_host(_field(request, "name"))
    if host is None:
        return _text(403, "unknown or revoked stream key")
    if not can_host_live(host):
        return _text(403, "no longer allowed to go live")
    if services.broadcast_seen(host=host) is None:
        return _text(403, "the room is not live")
    return _text(200, "ok")


# nginx's record-done form: the public name ("<stream_name>_<rendition>" at
# most 32 + 1 + 12) and a path ReplaySource.path can hold.
RECORD_NAME_MAX = 64
RECORD_PATH_MAX = 500


@csrf_exempt
@require_POST
def record_done(request: HttpRequest) -> HttpResponse:
    """``on_record_done``: a recording of a broadcast is complete; it goes
    to the session's replay. nginx ignores the answer: it is for the logs."""
    refused = _refusal(request) or _wrong_call(request, "record_done")
    if refused is not None:
        return refused
    name, path = _field(request, "name"), _field(request, "path")
    if not name or not path:
        return _text(400, "no stream name or no path")
    if len(name) > RECORD_NAME_MAX or len(path) > RECORD_PATH_MAX or "\x00" in path:
        return _text(400, "not a stream name and path nginx-rtmp would send")
    # live.services.replays stands above the callbacks: imported when needed.
    from live.services.replays import replay_source_add

    try:
        source = replay_source_add(stream_name=name, path=path)
    except DomainError as exc:
        logger.warning("recording %s of %s refused: %s", path, name, exc.code)
        return _text(404, f"{exc.code}: {exc.message}")
    if source is None:
        return _text(404, "the replay takes no more recordings")
    return _text(200, "recorded")
