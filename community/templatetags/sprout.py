"""Template helpers of the Sprout pages: photos with their placeholder,
avatars, compact numbers and times, and paging links."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import timezone

from community import extensions
from community.extensions import MenuItem
from community.models import Note, Photo, User
from community.photos import photo_payload

register = template.Library()

# Feed covers are cropped to between 4:3 (landscape) and 3:4 (portrait), as
# phone photo apps do: a panorama or a tall screenshot would wreck the grid.
COVER_MIN_RATIO = 0.75
COVER_MAX_RATIO = 4 / 3
DEFAULT_RATIO = 1.25
PLACEHOLDER_COLOR = "#efe9e4"
AVATAR_TONES = 8


def photo_ratio(photo: Photo | None, *, clamp: bool = False) -> float:
    """Height over width of a photo (of its cover crop with ``clamp``)."""
    if photo is None or not photo.width or not photo.height:
        return DEFAULT_RATIO
    ratio = photo.height / photo.width
    if clamp:
        ratio = min(max(ratio, COVER_MIN_RATIO), COVER_MAX_RATIO)
    return ratio


@register.filter
def cover(note: Note) -> Photo | None:
    """The first photo of a note, from the prefetched list (no query)."""
    photos = list(note.photos.all())
    return photos[0] if photos else None


@register.filter
def cover_ratio(note: Note) -> str:
    """Height/width of the note's card cover, for the masonry layout."""
    return f"{photo_ratio(cover(note), clamp=True):.4f}"


@register.inclusion_tag("community/partials/photo.html")
def photo(
    photo: Photo | None,
    alt: str = "",
    sizes: str = "(max-width: 600px) 50vw, (max-width: 1200px) 33vw, 260px",
    eager: bool = False,
    fit: str = "",
    crop: bool = False,
) -> dict[str, Any]:
    """A photo in a box of the right shape, painted in its dominant colour
    until it loads: WebP and JPEG renditions once they exist, the original
    before. ``fit="contain"`` fills a box sized by the parent (a carousel
    slide); ``crop`` clamps the box to the cover range."""
    payload = photo_payload(photo) if photo is not None else None
    ratio = photo_ratio(photo, clamp=crop)
    box_width = 1000
    box_height = round(box_width * ratio)
    if fit == "contain" and photo is not None and photo.width and photo.height:
        box_width, box_height = photo.width, photo.height
    return {
        "payload": payload,
        "alt": alt,
        "sizes": sizes,
        "eager": eager,
        "fit": fit,
        "box_width": box_width,
        "box_height": box_height,
        "color": (payload or {}).get("color") or PLACEHOLDER_COLOR,
    }


@register.inclusion_tag("community/partials/avatar.html")
def avatar(user: User | None, size: str = "sm") -> dict[str, Any]:
    """A round avatar: the member's picture, or their initial on a tone
    derived from the username (stable across pages)."""
    name = user.shown_name if user is not None else "?"
    tone = zlib.crc32(user.username.encode()) % AVATAR_TONES if user is not None else 0
    # Badges attached to the member (community.badges.attach) may ring it.
    ringed = any(getattr(b, "ring", False) for b in getattr(user, "badges", ()) or ())
    return {
        "url": user.avatar.url if user is not None and user.avatar else "",
        "initial": name[:1].upper(),
        "tone": tone,
        "size": size,
        "name": name,
        "ring": ringed,
    }


@register.filter
def photo_src(photo: Photo) -> str:
    """The URL a small tile of ``photo`` loads (the edit page's photo list)."""
    return str(photo_payload(photo)["src"])


@register.filter
def compact(value: int | None) -> str:
    """1234 -> "1.2k", 1_200_000 -> "1.2M"."""
    number = int(str(value or 0))  # str(): a lazy count (context processor) has no __int__
    for limit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            shown = f"{number / limit:.1f}".rstrip("0").rstrip(".")
            if number >= limit * 100:
                shown = str(number // limit)
            return f"{shown}{suffix}"
    return str(number)


@register.filter
def ago(when: datetime | None) -> str:
    """A short relative time: "just now", "5m", "3h", "2d", then a date."""
    if when is None:
        return ""
    delta = timezone.now() - when
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}m ago"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)}h ago"
    if delta < timedelta(days=7):
        return f"{delta.days}d ago"
    local = timezone.localtime(when)
    if local.year == timezone.localtime().year:
        return f"{local:%b} {local.day}"
    return f"{local:%b} {local.day}, {local.year}"


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], cursor: str | None) -> str:
    """The current page's URL with ``cursor`` replaced (other parameters,
    like ``q`` or ``order``, are kept)."""
    if not cursor:
        return ""
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"


@register.filter
def pressed(flag: Any) -> str:
    """A truthy value as ``aria-pressed``'s "true" / "false"."""
    return "true" if flag else "false"


@register.filter
def frame_box(photo: Photo | None) -> str:
    """The SVG ``viewBox`` that gives a carousel frame the shape of its first
    photo (within the cover range)."""
    return f"0 0 1000 {round(1000 * photo_ratio(photo, clamp=True))}"


@register.inclusion_tag("community/partials/badges.html")
def badges(user: User | None) -> dict[str, Any]:
    """The badges ``community.badges.attach`` put on a member (none if the
    view did not attach them: rendering never queries)."""
    return {"badges": getattr(user, "badges", [])}


@register.simple_tag(takes_context=True)
def menu(context: dict[str, Any], name: str) -> list[MenuItem]:
    """The entries of a navigation slot (``top_nav``, ``account_menu``) that
    the apps installed added and this visitor may see
    (``community.extensions``)."""
    slot = {"top_nav": extensions.top_nav, "account_menu": extensions.account_menu}[name]
    user = context.get("user")
    return [item for item in slot if item.visible(user)]


@register.filter
def is_current(item: MenuItem, url_name: str | None) -> bool:
    """Whether ``item`` links to the page being shown (for ``aria-current``)."""
    return item.is_current(url_name)
