"""Factories of live rooms (``live.models``). They write rows directly, with
none of the services' side effects (no events published, no followers
told, no hot counters cleared): tests of those go through ``live.services``."""

from __future__ import annotations

import factory
from django.utils import timezone

from live import keys
from live.models import (
    ChatMessage,
    HeartsMark,
    LiveSession,
    Replay,
    ReplaySource,
    Room,
    RoomRestriction,
    StreamKey,
    replay_token,
)
from tests.factories.base import ModelFactory
from tests.factories.community import UserFactory
from tests.factories.kol import HostFactory


class RoomFactory(ModelFactory[Room]):
    """A host's room, scheduled; ``live=True`` (or ``state=Room.State.LIVE``)
    makes it live with its open session, as the ingest callback leaves it."""

    class Meta:
        model = Room
        skip_postgeneration_save = True

    class Params:
        live = factory.Trait(state=Room.State.LIVE)

    host = factory.SubFactory(HostFactory)
    title = "Sunday pancakes"
    state = Room.State.SCHEDULED
    started_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state == Room.State.LIVE else None
    )

    @factory.post_generation
    def open_session(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and self.state == Room.State.LIVE:
            LiveSessionFactory(room=self, ended_at=None)


class LiveSessionFactory(ModelFactory[LiveSession]):
    """A past broadcast (ended now) of a room; ``ended_at=None`` for the open
    one of a live room (a room has at most one)."""

    class Meta:
        model = LiveSession

    room = factory.SubFactory(RoomFactory, state=Room.State.ENDED)
    ended_at = factory.LazyFunction(timezone.now)


class StreamKeyFactory(ModelFactory[StreamKey]):
    """A host's active stream key, stored as ``live.services.keys`` stores one (its
    digest and hint). Pass ``plaintext=`` to know the key."""

    class Meta:
        model = StreamKey

    class Params:
        plaintext = factory.LazyFunction(keys.new_plaintext)

    host = factory.SubFactory(HostFactory)
    key_hash = factory.LazyAttribute(lambda o: keys.digest(o.plaintext))
    hint = factory.LazyAttribute(lambda o: o.plaintext[: keys.HINT_LENGTH])


class ChatMessageFactory(ModelFactory[ChatMessage]):
    """A chat line in a live room, by a member."""

    class Meta:
        model = ChatMessage

    room = factory.SubFactory(RoomFactory, live=True)
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"line {n}")


class RoomRestrictionFactory(ModelFactory[RoomRestriction]):
    """A mute in force until lifted, set by the room's host (``kind=BAN``
    for a ban)."""

    class Meta:
        model = RoomRestriction

    room = factory.SubFactory(RoomFactory, live=True)
    user = factory.SubFactory(UserFactory)
    kind = RoomRestriction.Kind.MUTE
    created_by = factory.SelfAttribute("room.host")


class ReplayFactory(ModelFactory[Replay]):
    """A replay of an ended session, still recording (no files): pass
    ``state=Replay.State.READY`` and the file names for a finished one, or
    ``ready=True`` for one as ``live.services.replays.replay_finish`` leaves
    it (one rendition, its storage names, a duration), still without files:
    tests that need them make a real one (tests/live/test_replay_making.py)."""

    class Meta:
        model = Replay

    class Params:
        ready = factory.Trait(
            state=Replay.State.READY,
            duration_ms=4_000,
            playlist=factory.LazyAttribute(lambda o: f"replays/{o.token}/src/index.m3u8"),
            poster=factory.LazyAttribute(lambda o: f"replays/{o.token}/poster.jpg"),
            preview=factory.LazyAttribute(lambda o: f"replays/{o.token}/preview.mp4"),
            renditions=factory.LazyAttribute(
                lambda o: [
                    {
                        "name": "src",
                        "width": 640,
                        "height": 360,
                        "bandwidth": 900_000,
                        "playlist": f"replays/{o.token}/src/index.m3u8",
                    }
                ]
            ),
            size_bytes=500_000,
            finished_at=factory.LazyFunction(timezone.now),
        )

    session = factory.SubFactory(LiveSessionFactory)
    token = factory.LazyFunction(replay_token)
    expected_renditions = factory.LazyFunction(lambda: ["src"])


class ReplaySourceFactory(ModelFactory[ReplaySource]):
    """A recording nginx-rtmp finished for a replay (the path is not checked)."""

    class Meta:
        model = ReplaySource

    replay = factory.SubFactory(ReplayFactory)
    rendition = "src"
    path = factory.Sequence(lambda n: f"/tmp/sprout-rec/stream-{n}.flv")


class HeartsMarkFactory(ModelFactory[HeartsMark]):
    """The hearts total of a session at one moment."""

    class Meta:
        model = HeartsMark

    session = factory.SubFactory(LiveSessionFactory)
    offset_ms = factory.Sequence(lambda n: n * 1000)
    total = factory.Sequence(lambda n: (n + 1) * 10)
