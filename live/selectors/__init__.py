"""Live rooms: reads for the REST API, the pages, the websocket and the
services, a module per concept.

- :mod:`live.selectors.rooms`: rooms, their pages, figures and viewers.
- :mod:`live.selectors.chat`: chat messages, mutes and bans.
- :mod:`live.selectors.gifts`: the gifts sent in rooms and sessions.
- :mod:`live.selectors.reports`: a broadcast's report, hosts' performance.
- :mod:`live.selectors.keys`: stream keys.
- :mod:`live.selectors.replays`: who may watch a replay, a broadcast's
  timeline, the lists of sessions and replays.

Their functions are also here, as ``live.selectors.<name>``, where every
caller finds them. Writes are :mod:`live.services`.
"""

from live.selectors.chat import (
    is_banned,
    member_restriction,
    member_restriction_kinds,
    message_by_id,
    room_bans_among,
    room_chat_since,
    room_recent_messages,
    room_restrictions,
)
from live.selectors.directory import LiveDirectory, live_badges, live_directory
from live.selectors.gifts import (
    LEADERBOARD_SIZE,
    RECENT_GIFTS,
    gift_event,
    room_gift_tally,
    room_gifts_recent,
    room_leaderboard,
    room_recent_gifts,
    room_top_gifters,
    session_cash,
    session_gift_earnings,
    session_gift_tally,
    session_top_gifters,
)
from live.selectors.keys import stream_key_active, stream_key_host
from live.selectors.replays import (
    ReplayBrief,
    ReplayNotice,
    TimelinePage,
    replay_brief,
    replay_check_visible,
    replay_for_manager,
    replay_manages,
    replay_notice,
    replay_visible_to,
    replays_recent,
    room_sessions,
    session_by_id,
    session_replay,
    session_replays_for,
    session_timeline,
)
from live.selectors.reports import (
    RoomTotals,
    can_see_cash,
    live_performance,
    room_final_totals,
    room_traffic_counters,
    session_report,
    session_report_for,
)
from live.selectors.rooms import (
    NO_COUNTS,
    RoomCounts,
    RoomDetail,
    room_by_id,
    room_counts,
    room_detail,
    room_for_viewer,
    room_hls_url,
    room_list,
    room_moderators,
    room_open_session_id,
    room_page,
    room_playlist_url,
    room_upcoming_playlist_url,
    room_url,
    rooms_stale,
)

__all__ = [
    "LEADERBOARD_SIZE",
    "NO_COUNTS",
    "RECENT_GIFTS",
    "LiveDirectory",
    "ReplayBrief",
    "ReplayNotice",
    "RoomCounts",
    "RoomDetail",
    "RoomTotals",
    "TimelinePage",
    "can_see_cash",
    "gift_event",
    "is_banned",
    "live_badges",
    "live_directory",
    "live_performance",
    "member_restriction",
    "member_restriction_kinds",
    "message_by_id",
    "replay_brief",
    "replay_check_visible",
    "replay_for_manager",
    "replay_manages",
    "replay_notice",
    "replay_visible_to",
    "replays_recent",
    "room_bans_among",
    "room_by_id",
    "room_chat_since",
    "room_counts",
    "room_detail",
    "room_final_totals",
    "room_for_viewer",
    "room_gift_tally",
    "room_gifts_recent",
    "room_hls_url",
    "room_leaderboard",
    "room_list",
    "room_moderators",
    "room_open_session_id",
    "room_page",
    "room_playlist_url",
    "room_recent_gifts",
    "room_recent_messages",
    "room_restrictions",
    "room_sessions",
    "room_top_gifters",
    "room_traffic_counters",
    "room_upcoming_playlist_url",
    "room_url",
    "rooms_stale",
    "session_by_id",
    "session_cash",
    "session_gift_earnings",
    "session_gift_tally",
    "session_replay",
    "session_replays_for",
    "session_report",
    "session_report_for",
    "session_timeline",
    "session_top_gifters",
    "stream_key_active",
    "stream_key_host",
]
