"""Chat in live rooms: its rules, pure (no database): how a message is
cleaned, the keyword filter, the rate, and the ``chat`` event of a message.
Sending and moderating are :mod:`live.services.chat`; reads are
:mod:`live.selectors.chat`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.conf import settings

from live import events
from live.models import ChatMessage

# The close code of a banned member's connections (SPEC's 4xxx range).
CLOSE_BANNED = 4003
BLOCKED_WORD_MESSAGE = "Your message contains a word that is not allowed here."
MAX_REASON_LENGTH = 200


# --- the event ----------------------------------------------------------------


def chat_event(message: ChatMessage, *, nonce: str | None = None) -> events.ChatEvent:
    """The room's ``chat`` event of a stored message (the sender's ``nonce``
    echoed back to them)."""
    return events.chat(
        message_id=message.pk,
        user=message.user,
        text=message.text,
        ts=message.created_at,
        nonce=nonce,
    )


# --- the rules ------------------------------------------------------------------


def chat_rate() -> tuple[int, int]:
    """``SPROUT_LIVE_CHAT_RATE`` ("messages/seconds") as numbers."""
    count, _, seconds = str(settings.SPROUT_LIVE_CHAT_RATE).partition("/")
    return max(int(count), 1), max(int(seconds or 1), 1)


_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def clean_text(text: str) -> str:
    """The message as it will be shown, on one line: line breaks (with the
    spaces around them) and tabs become one space, other control characters
    and unpaired surrogates (which no database or socket accepts) go, and the
    ends are trimmed."""
    kept = "".join(
        char for char in text if char in "\r\n\t" or unicodedata.category(char) not in ("Cc", "Cs")
    )
    return _LINE_BREAKS.sub(" ", kept).replace("\t", " ").strip()


@lru_cache(maxsize=256)
def _blocked_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    # Whole words only: "ass" must not refuse "class".
    body = "|".join(re.escape(word) for word in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def contains_blocked_word(text: str, words: list[str] | tuple[str, ...]) -> bool:
    """Case-insensitive whole-word match against ``words``."""
    pattern = _blocked_pattern(tuple(str(word) for word in words))
    return pattern is not None and pattern.search(text) is not None
