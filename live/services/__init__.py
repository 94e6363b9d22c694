"""Live rooms: writes, a module per concept.

- :mod:`live.services.rooms`: rooms and their broadcasts (going live, ending,
  moderators).
- :mod:`live.services.chat`: chat messages and their moderation (mutes,
  bans, deleted messages).
- :mod:`live.services.keys`: stream keys (rotate, revoke).
- :mod:`live.services.gifts`: gifts sent in rooms, and the leaderboards they
  move.
- :mod:`live.services.replays`: replays made from a session's recordings.

Their functions are also here, as ``live.services.<name>``, where every
caller finds them. Reads are :mod:`live.selectors`.
"""

from live.services.chat import (
    member_ban,
    member_mute,
    member_unban,
    member_unmute,
    message_delete,
    message_send,
)
from live.services.gifts import (
    RoomGift,
    RoomGiftRequest,
    gift_batcher_get,
    gift_batchers_close,
    leaderboard_updates,
    leaderboards_push,
    room_gift_send,
    room_gift_send_batched,
    room_gift_send_unpublished,
    room_gifts_send,
)
from live.services.keys import stream_key_revoke, stream_key_rotate
from live.services.replays import (
    replay_begin,
    replay_finish,
    replay_finish_again,
    replay_session_ended,
    replay_source_add,
    replays_sweep,
)
from live.services.rooms import (
    TITLE_MAX_LENGTH,
    broadcast_begin,
    broadcast_finish,
    broadcast_seen,
    followers_notify_live,
    room_create,
    room_end,
    room_moderator_add,
    room_moderator_remove,
    rooms_end_stale,
    session_end,
    session_start,
)

__all__ = [
    "TITLE_MAX_LENGTH",
    "RoomGift",
    "RoomGiftRequest",
    "broadcast_begin",
    "broadcast_finish",
    "broadcast_seen",
    "followers_notify_live",
    "gift_batcher_get",
    "gift_batchers_close",
    "leaderboard_updates",
    "leaderboards_push",
    "member_ban",
    "member_mute",
    "member_unban",
    "member_unmute",
    "message_delete",
    "message_send",
    "replay_begin",
    "replay_finish",
    "replay_finish_again",
    "replay_session_ended",
    "replay_source_add",
    "replays_sweep",
    "room_create",
    "room_end",
    "room_gift_send",
    "room_gift_send_batched",
    "room_gift_send_unpublished",
    "room_gifts_send",
    "room_moderator_add",
    "room_moderator_remove",
    "rooms_end_stale",
    "session_end",
    "session_start",
    "stream_key_revoke",
    "stream_key_rotate",
]
