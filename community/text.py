"""Plain text of notes and comments to safe HTML.

Members write plain text. ``#topic`` and ``@username`` become links, blank
lines split paragraphs, single newlines become ``<br>``; everything else is
escaped. The result then goes through nh3 with an allow-list of exactly the
tags this module emits, so even a bug here cannot let markup through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

import nh3
from django.urls import reverse

from community.models import USERNAME_PATTERN

TOPIC_MAX_LENGTH = 50


def _combining_marks() -> str:
    """The combining marks (Mn, Mc, Me) of the BMP as a character-class body:
    ``\\w`` leaves them out, yet words in Devanagari, Bengali, Tamil, ... need
    them ("#नमस्ते" would otherwise stop at its first vowel sign)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_WORD = rf"\w{_combining_marks()}"
# A topic is a run of letters, digits, underscores or marks in any script,
# starting with a letter or digit: "#skincare", "#早餐", "#day_1". Not after a
# word character, "#", "&" (entities) or "/" (URL fragments), and a longer run
# than TOPIC_MAX_LENGTH is no topic at all rather than a truncated one.
TOPIC_RE = re.compile(
    rf"(?<![{_WORD}#&/])#([^\W_][{_WORD}]{{0,{TOPIC_MAX_LENGTH - 1}}})(?![{_WORD}])", re.UNICODE
)
MENTION_RE = re.compile(rf"(?<![\w@])@({USERNAME_PATTERN})(?![\w])")
TOKEN_RE = re.compile(f"{TOPIC_RE.pattern}|{MENTION_RE.pattern}", re.UNICODE)

_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "class"}}


@dataclass(frozen=True)
class ParsedText:
    topics: list[str]
    mentions: list[str]


def topic_key(name: str) -> str:
    """The lookup key of a topic name: case-folded, without a leading '#'."""
    return name.lstrip("#").casefold()


def _is_topic(name: str) -> bool:
    # Case folding can lengthen a name ("ß" -> "ss"); the key must still fit.
    return len(topic_key(name)) <= TOPIC_MAX_LENGTH


def parse(text: str) -> ParsedText:
    """Topics and @usernames in ``text``, each once, in order of first use."""
    topics: dict[str, str] = {}
    for match in TOPIC_RE.finditer(text):
        if _is_topic(match.group(1)):
            topics.setdefault(topic_key(match.group(1)), match.group(1))
    mentions: dict[str, str] = {}
    for match in MENTION_RE.finditer(text):
        mentions.setdefault(match.group(1).lower(), match.group(1))
    return ParsedText(topics=list(topics.values()), mentions=list(mentions.values()))


def render(text: str, *, known_usernames: Collection[str] = ()) -> str:
    """Safe HTML for ``text``. ``@name`` links only when ``name`` (any case) is
    in ``known_usernames``; an unknown mention stays plain text."""
    known = {name.lower() for name in known_usernames}
    # Browsers submit textareas with CRLF line endings.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html_parts = []
    for paragraph in paragraphs:
        lines = [_render_line(line, known) for line in paragraph.strip().split("\n")]
        html_parts.append("<p>" + "<br>".join(lines) + "</p>")
    html = "".join(html_parts)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        link_rel="nofollow noopener",
    )


def _render_line(line: str, known: set[str]) -> str:
    out: list[str] = []
    pos = 0
    for match in TOKEN_RE.finditer(line):
        out.append(escape(line[pos : match.start()]))
        topic, username = match.group(1), match.group(2)
        if topic is not None and _is_topic(topic):
            href = reverse("topic", args=[topic_key(topic)])
            out.append(f'<a class="topic" href="{escape(href)}">#{escape(topic)}</a>')
        elif username is not None and username.lower() in known:
            href = reverse("profile", args=[quote(username)])
            out.append(f'<a class="mention" href="{escape(href)}">@{escape(username)}</a>')
        else:
            out.append(escape(match.group(0)))
        pos = match.end()
    out.append(escape(line[pos:]))
    return "".join(out)
