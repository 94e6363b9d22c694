"""Plain text of notes and comments to safe HTML (community.text)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from community import text


class _Inspector(HTMLParser):
    """Collects every tag and attribute of a rendered fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._open_link: dict[str, str | None] | None = None
        self._link_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag == "a":
            self._open_link, self._link_text = dict(attrs), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open_link is not None:
            self.links.append((self._open_link, self._link_text))
            self._open_link = None

    def handle_data(self, data: str) -> None:
        if self._open_link is not None:
            self._link_text += data


def inspect(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def topic_href(key: str) -> str:
    return reverse("topic", args=[key])


def profile_href(username: str) -> str:
    return reverse("profile", args=[username])


# --- parsing -------------------------------------------------------------------


def test_topics_are_parsed_once_each_in_order_of_first_use() -> None:
    parsed = text.parse("Morning #Breakfast then #早餐 and #breakfast again, #day_1")
    assert parsed.topics == ["Breakfast", "早餐", "day_1"]


def test_topics_in_scripts_with_combining_marks_are_kept_whole() -> None:
    # Devanagari vowel signs and viramas are marks, not letters.
    assert text.parse("#नमस्ते दुनिया #ภาษาไทย #café").topics == ["नमस्ते", "ภาษาไทย", "café"]


def test_no_topic_inside_words_entities_urls_or_after_a_second_hash() -> None:
    parsed = text.parse(
        "C# and a#b, &#123; &#x41; https://example.com/page#section "
        "https://example.com/#top ##double #_underscore #"
    )
    assert parsed.topics == []


def test_a_topic_longer_than_the_limit_is_not_a_topic() -> None:
    long_name = "a" * (text.TOPIC_MAX_LENGTH + 1)
    exact = "b" * text.TOPIC_MAX_LENGTH
    assert text.parse(f"#{long_name} #{exact}").topics == [exact]


def test_topic_key_is_case_folded_without_hash() -> None:
    assert text.topic_key("#Straße") == "strasse"
    assert text.topic_key("Breakfast") == "breakfast"


def test_mentions_are_parsed_once_each_ignoring_emails() -> None:
    parsed = text.parse("Thanks @Alice and @alice, @bob.smith. Mail me: carol@example.com @x")
    assert parsed.mentions == ["Alice", "bob.smith"]


# --- rendering -----------------------------------------------------------------


def test_topics_become_links_to_their_page() -> None:
    html = text.render("Today #Breakfast and #早餐")
    links = inspect(html).links
    assert [(a["href"], a["class"], label) for a, label in links] == [
        (topic_href("breakfast"), "topic", "#Breakfast"),
        (topic_href("早餐"), "topic", "#早餐"),
    ]


def test_known_mentions_link_and_unknown_mentions_stay_plain() -> None:
    html = text.render("Hi @Alice and @nobody", known_usernames=["alice"])
    links = inspect(html).links
    assert [(a["href"], a["class"], label) for a, label in links] == [
        (profile_href("Alice"), "mention", "@Alice")
    ]
    assert "@nobody" in html
    assert profile_href("nobody") not in html


def test_paragraphs_and_line_breaks() -> None:
    html = text.render("one\ntwo\n\n\n three \n\nfour")
    assert html == "<p>one<br>two</p><p>three</p><p>four</p>"


def test_windows_line_endings_render_like_unix_ones() -> None:
    assert text.render("one\r\ntwo\r\n\r\nthree") == "<p>one<br>two</p><p>three</p>"


def test_empty_text_renders_nothing() -> None:
    assert text.render("  \n \n ") == ""


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)" onclick="steal()">click</a>',
        "<p style='color:red'>styled</p><iframe src=//evil></iframe>",
        '"><svg onload=alert(1)>#topic',
        '#tag"onmouseover=alert(1) @alice"><script>x</script>',
        "</p><script>alert(1)</script><p>",
        "&lt;script&gt; &#60;script&#62; &amp;",
    ],
)
def test_markup_in_input_is_escaped(hostile: str) -> None:
    html = text.render(hostile, known_usernames=["alice"])
    parsed = inspect(html)
    assert set(parsed.tags) <= {"p", "br", "a"}
    assert {name for name, _ in parsed.attributes} <= {"href", "class", "rel"}
    for attrs, _ in parsed.links:
        href = attrs["href"] or ""
        assert href.startswith("/")
        assert "javascript" not in href.lower()
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<iframe" not in html.lower()
    assert "<svg" not in html.lower()


def test_escaped_markup_reads_back_as_the_original_text() -> None:
    html = text.render('<b>bold</b> & "quotes"')
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in html
    assert "<b>" not in html
