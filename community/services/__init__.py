"""Writes of the notes community, a module per concept.

- :mod:`community.services.accounts`: sign-up, e-mail verification, API tokens, profiles.
- :mod:`community.services.notes`: composing, editing and deleting notes
  (with their photos), and likes.
- :mod:`community.services.note_photos`: adding, removing and reordering the
  photos of an existing note.
- :mod:`community.services.boards`: boards and collecting notes into them.
- :mod:`community.services.comments`: comments and replies.
- :mod:`community.services.social`: follows (of members and topics), blocks.
- :mod:`community.services.moderation`: reports, hiding and restoring.
- :mod:`community.services.notifications`: notifications.
- :mod:`community.services.photos`: storing photos and their renditions.

Their public functions are also here, as ``community.services.<name>``, where
every caller finds them. :mod:`community.services.counts` keeps the counters
the writes share. Who may do what is :mod:`community.permissions`.
"""

from community.services.accounts import (
    email_verification_send,
    email_verify,
    user_profile_update,
    user_register,
    user_token,
)
from community.services.boards import board_create, collect_add, collect_remove
from community.services.comments import comment_create, comment_delete
from community.services.moderation import (
    comments_set_hidden,
    notes_set_hidden,
    report_create,
    reports_resolve,
    reports_restore,
)
from community.services.note_photos import (
    note_photo_add,
    note_photo_remove,
    note_photos_reorder,
)
from community.services.notes import (
    MAX_PHOTOS,
    like_add,
    like_remove,
    note_create,
    note_delete,
    note_update,
    note_view_record,
    photo_upload,
)
from community.services.notifications import followers_notify, notifications_mark_read
from community.services.photos import (
    photo_create,
    photo_files_delete,
    photo_render,
    photos_unattached_sweep,
)
from community.services.social import (
    topic_follow,
    topic_unfollow,
    user_block,
    user_follow,
    user_unblock,
    user_unfollow,
)

__all__ = [
    "MAX_PHOTOS",
    "board_create",
    "collect_add",
    "collect_remove",
    "comment_create",
    "comment_delete",
    "comments_set_hidden",
    "email_verification_send",
    "email_verify",
    "followers_notify",
    "like_add",
    "like_remove",
    "note_create",
    "note_delete",
    "note_photo_add",
    "note_photo_remove",
    "note_photos_reorder",
    "note_update",
    "note_view_record",
    "notes_set_hidden",
    "notifications_mark_read",
    "photo_create",
    "photo_files_delete",
    "photo_render",
    "photo_upload",
    "photos_unattached_sweep",
    "report_create",
    "reports_resolve",
    "reports_restore",
    "topic_follow",
    "topic_unfollow",
    "user_block",
    "user_follow",
    "user_profile_update",
    "user_register",
    "user_token",
    "user_unblock",
    "user_unfollow",
]
