"""Live rooms: writes, a module per concept.

- :mod:`live.services.rooms`: rooms and their broadcasts (going live, ending,
  moderators, the session report). Its functions are also here, as
  ``live.services.<name>``, where every caller finds them.
- :mod:`live.services.gifts`: gifts sent in rooms, and the leaderboards they
  move.

Chat and its moderation are :mod:`live.chat`.
"""

from live.services.rooms import (
    TITLE_MAX_LENGTH,
    active_restriction,
    add_room_moderator,
    begin_broadcast,
    broadcast_seen,
    create_room,
    end_room,
    end_session,
    end_stale_rooms,
    finish_broadcast,
    live_performance,
    notify_went_live,
    remove_room_moderator,
    room_for_viewer,
    room_url,
    session_report,
    stale_rooms,
    start_session,
)

__all__ = [
    "TITLE_MAX_LENGTH",
    "active_restriction",
    "add_room_moderator",
    "begin_broadcast",
    "broadcast_seen",
    "create_room",
    "end_room",
    "end_session",
    "end_stale_rooms",
    "finish_broadcast",
    "live_performance",
    "notify_went_live",
    "remove_room_moderator",
    "room_for_viewer",
    "room_url",
    "session_report",
    "stale_rooms",
    "start_session",
]
