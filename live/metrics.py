"""The live rooms' Prometheus metrics (``core.metrics``; contributed in
``LiveConfig.ready``, listed in ``docs/observability.md``).

Moved by ``live.hub`` (rooms, viewers, frames) and ``live.gift_batcher``
(gift batches), always by batch: one counter step per tick of a room for
the frames of all its viewers, one per batch for its gifts' sizes, never a
step per viewer per frame.

Per-process gauges come twice (``core.metrics``): ``sprout_live_viewers``
(``livesum``: the total over the live processes) and
``sprout_live_process_viewers`` (``liveall``: one series per process,
labelled ``pid`` in multiprocess mode); the same for room hubs. A viewer
with tabs on two processes counts once in each.
"""

from __future__ import annotations

from core.metrics import counter, gauge, histogram

ROOM_HUBS = gauge(
    "sprout_live_room_hubs",
    "Live rooms with viewers, summed over the processes (a room served by two processes "
    "counts twice).",
    multiprocess_mode="livesum",
)
PROCESS_ROOM_HUBS = gauge(
    "sprout_live_process_room_hubs",
    "Live rooms this process serves (one hub each), per process.",
    multiprocess_mode="liveall",
)
VIEWERS = gauge(
    "sprout_live_viewers",
    "Distinct viewers connected to live rooms, summed over the processes.",
    multiprocess_mode="livesum",
)
PROCESS_VIEWERS = gauge(
    "sprout_live_process_viewers",
    "Distinct viewers connected to this process's live rooms, per process.",
    multiprocess_mode="liveall",
)
FRAMES_SENT = counter(
    "sprout_live_frames_sent",
    "Websocket frames the live rooms handed to their viewers' sockets (written, or queued "
    "in a viewer's bounded backlog).",
)
FRAMES_DROPPED = counter(
    "sprout_live_frames_dropped",
    "Frames a viewer never got: reason=slow (its backlog was full and it was disconnected, "
    "with what waited in its backlog) or gone (its socket failed under a write).",
    ["reason"],
)
SLOW_VIEWERS_DROPPED = counter(
    "sprout_live_slow_viewers_dropped",
    "Viewers disconnected for falling behind the room (close code 4008).",
)
JOINS = counter(
    "sprout_live_joins",
    "Websockets admitted to a live room (each reads the room's hello, shared or not).",
)
HELLO_READS = counter(
    "sprout_live_hello_reads",
    "Reads of a room's part of hello from the database; the rest of the joins shared one "
    "(live.hub.RoomHub.room_hello).",
)
GIFT_BATCHES = counter(
    "sprout_gift_batches",
    "Gift batches sent to the wallet, by outcome: committed, unavailable (the database "
    "went away; each sender retries) or failed.",
    ["outcome"],
)
GIFT_BATCH_SIZE = histogram(
    "sprout_gift_batch_size",
    "Gifts per batch.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
GIFT_COMMIT_SECONDS = histogram(
    "sprout_gift_commit_latency_seconds",
    "From a gift frame's arrival at the batcher to its batch's commit, per gift.",
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

ALL = (
    ROOM_HUBS,
    PROCESS_ROOM_HUBS,
    VIEWERS,
    PROCESS_VIEWERS,
    FRAMES_SENT,
    FRAMES_DROPPED,
    SLOW_VIEWERS_DROPPED,
    JOINS,
    HELLO_READS,
    GIFT_BATCHES,
    GIFT_BATCH_SIZE,
    GIFT_COMMIT_SECONDS,
)

# Labelled children made once: the hot paths skip the label lookup.
FRAMES_DROPPED_SLOW = FRAMES_DROPPED.labels(reason="slow")
FRAMES_DROPPED_GONE = FRAMES_DROPPED.labels(reason="gone")
GIFT_BATCHES_COMMITTED = GIFT_BATCHES.labels(outcome="committed")
GIFT_BATCHES_UNAVAILABLE = GIFT_BATCHES.labels(outcome="unavailable")
GIFT_BATCHES_FAILED = GIFT_BATCHES.labels(outcome="failed")


def room_hubs_add(step: int) -> None:
    """A room hub started (1) or stopped (-1) in this process."""
    ROOM_HUBS.inc(step)
    PROCESS_ROOM_HUBS.inc(step)


def viewers_add(step: int) -> None:
    """A distinct viewer joined (1) or left (-1) a room of this process."""
    VIEWERS.inc(step)
    PROCESS_VIEWERS.inc(step)
