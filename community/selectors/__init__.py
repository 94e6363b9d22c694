"""Reads of the notes community, a module per concept.

- :mod:`community.selectors.notes`: notes, their comments, topics, photos.
- :mod:`community.selectors.people`: members, follows, blocks, notifications.
- :mod:`community.selectors.boards`: boards and what is collected into them.
- :mod:`community.selectors.feeds`: the paged feeds (discover, following,
  topic, author), their hot path in SQL in :mod:`community.selectors.cards`.
- :mod:`community.selectors.search`: search over notes, topics and members.
- :mod:`community.selectors.graph`: whom a member follows and blocks, cached.

Their public functions are also here, as ``community.selectors.<name>``,
where every caller finds them. Who may do what is :mod:`community.permissions`.
"""

from community.selectors.boards import (
    board_collected,
    board_covers,
    board_for_viewer,
    board_notes,
    user_boards,
)
from community.selectors.feeds import (
    feed_author,
    feed_author_keys,
    feed_discover,
    feed_discover_keys,
    feed_following,
    feed_following_keys,
    feed_topic,
    feed_topic_keys,
    notes_for_keys,
)
from community.selectors.graph import ViewerGraph, viewer_graph, viewer_graph_forget
from community.selectors.notes import (
    comment_for_viewer,
    note_cards,
    note_comments,
    note_for_edit,
    note_for_viewer,
    note_list,
    note_photos_for_edit,
    note_visible,
    note_with_viewer_flags,
    photo_prefetch,
    photo_unrendered_ids,
    topic_by_key,
    topic_is_followed,
    topic_trending,
)
from community.selectors.people import (
    Profile,
    notification_grouped,
    notification_list,
    notification_unread_count,
    profile_for_viewer,
    user_blocked_list,
    user_by_username,
    user_followers,
    user_following,
    user_liked_notes,
    user_mentionable,
    user_suggested,
)
from community.selectors.search import (
    SearchResults,
    clean_query,
    note_search,
    note_search_page,
    search_results,
    topic_search,
    user_search,
)

__all__ = [
    "Profile",
    "SearchResults",
    "ViewerGraph",
    "board_collected",
    "board_covers",
    "board_for_viewer",
    "board_notes",
    "clean_query",
    "comment_for_viewer",
    "feed_author",
    "feed_author_keys",
    "feed_discover",
    "feed_discover_keys",
    "feed_following",
    "feed_following_keys",
    "feed_topic",
    "feed_topic_keys",
    "note_cards",
    "note_comments",
    "note_for_edit",
    "note_for_viewer",
    "note_list",
    "note_photos_for_edit",
    "note_search",
    "note_search_page",
    "note_visible",
    "note_with_viewer_flags",
    "notes_for_keys",
    "notification_grouped",
    "notification_list",
    "notification_unread_count",
    "photo_prefetch",
    "photo_unrendered_ids",
    "profile_for_viewer",
    "search_results",
    "topic_by_key",
    "topic_is_followed",
    "topic_search",
    "topic_trending",
    "user_blocked_list",
    "user_boards",
    "user_by_username",
    "user_followers",
    "user_following",
    "user_liked_notes",
    "user_mentionable",
    "user_search",
    "user_suggested",
    "viewer_graph",
    "viewer_graph_forget",
]
