"""The rules of a gift, defined once: what a send may ask for, and how its
coins are split.

Everything that takes a gift checks it here: the HTTP endpoint's serializer
(``live.serializers.GiftSendInput``), the room's websocket ``gift`` frame
(``live.consumers``) and the engine itself (``wallet.services.gifts``). So a
request is refused the same way whichever door it came through: the same
code (``invalid``), the same message, the same field.

=====================  =====================================================
field                  rule
=====================  =====================================================
``gift``               a slug: a string of 1 to :data:`GIFT_SLUG_MAX_LENGTH`
                       characters (one that names no gift on sale is
                       ``unknown_gift``, a question for the catalog)
``quantity``           a whole number (JSON's, not a string or a boolean)
                       from :data:`GIFT_QUANTITY_MIN` to
                       :data:`GIFT_QUANTITY_MAX`; 1 when absent
``idempotency_key``    1 to :data:`GIFT_KEY_MAX_LENGTH` characters of
                       :data:`KEY_CHARACTERS` (``wallet.services.idempotency``'s
                       alphabet; browsers send a UUID, 36 characters)
=====================  =====================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from core.errors import ValidationFailed

GIFT_QUANTITY_MIN = 1
#: What the room's tray offers at most (``live.views.GIFT_QUANTITIES``).
GIFT_QUANTITY_MAX = 99
#: ``Gift.slug``'s length.
GIFT_SLUG_MAX_LENGTH = 40
#: A gift's key is echoed in its ``gift_ack`` and ``error`` frames; a
#: browser's is a UUID (36 characters).
GIFT_KEY_MAX_LENGTH = 64
#: What any idempotency key is made of (``wallet.services.idempotency``).
KEY_CHARACTERS = "letters, digits and _ . : -"
KEY_CLASS = "A-Za-z0-9_.:-"

QUANTITY_MESSAGE = (
    f"The quantity is a whole number from {GIFT_QUANTITY_MIN} to {GIFT_QUANTITY_MAX}."
)
SLUG_MESSAGE = f"The gift is a slug from the catalog: 1 to {GIFT_SLUG_MAX_LENGTH} characters."
KEY_MESSAGE = f"The idempotency key is 1 to {GIFT_KEY_MAX_LENGTH} characters: {KEY_CHARACTERS}."

GIFT_KEY_PATTERN = re.compile(rf"\A[{KEY_CLASS}]{{1,{GIFT_KEY_MAX_LENGTH}}}\Z")
BPS = 10_000


@dataclass(frozen=True, slots=True)
class GiftInput:
    """A gift request that passed :func:`gift_input_check`."""

    gift: str
    quantity: int
    idempotency_key: str


def _refused(errors: dict[str, str]) -> ValidationFailed:
    # The message repeats the fields' own: a websocket error frame carries
    # no field map, and must say as much as the HTTP answer does.
    return ValidationFailed(" ".join(errors.values()), fields=errors)


def gift_slug_problem(value: Any) -> str | None:
    """What is wrong with ``value`` as a gift's slug (None: nothing)."""
    if not isinstance(value, str) or not 0 < len(value) <= GIFT_SLUG_MAX_LENGTH:
        return SLUG_MESSAGE
    return None


def gift_quantity_problem(value: Any) -> str | None:
    """What is wrong with ``value`` as a gift's quantity (None: nothing)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return QUANTITY_MESSAGE
    if not GIFT_QUANTITY_MIN <= value <= GIFT_QUANTITY_MAX:
        return QUANTITY_MESSAGE
    return None


def gift_key_problem(value: Any) -> str | None:
    """What is wrong with ``value`` as a gift's idempotency key (None: nothing)."""
    if not isinstance(value, str) or not GIFT_KEY_PATTERN.fullmatch(value):
        return KEY_MESSAGE
    return None


def gift_input_check(data: Mapping[str, Any]) -> GiftInput:
    """A gift request (``{gift, quantity, idempotency_key}``, as JSON decoded
    it: a websocket frame or an HTTP body) checked against every rule of the
    module; ``ValidationFailed`` (``invalid``) naming each field that breaks
    one, otherwise."""
    gift: Any = data.get("gift")
    quantity: Any = data.get("quantity", GIFT_QUANTITY_MIN)
    key: Any = data.get("idempotency_key")
    errors = {
        name: problem
        for name, problem in (
            ("gift", gift_slug_problem(gift)),
            ("quantity", gift_quantity_problem(quantity)),
            ("idempotency_key", gift_key_problem(key)),
        )
        if problem is not None
    }
    if errors:
        raise _refused(errors)
    return GiftInput(gift=gift, quantity=quantity, idempotency_key=key)


def gift_fields_check(*, gift_slug: Any, quantity: Any, idempotency_key: Any) -> None:
    """:func:`gift_input_check` for a request already in arguments (the
    engine's: whoever calls it directly meets the same rules)."""
    if (
        gift_slug_problem(gift_slug) is None
        and gift_quantity_problem(quantity) is None
        and gift_key_problem(idempotency_key) is None
    ):
        return  # every gift of a batch comes this way: no more work than the checks
    gift_input_check({"gift": gift_slug, "quantity": quantity, "idempotency_key": idempotency_key})


# --- the split ----------------------------------------------------------------------


def platform_share_bps() -> int:
    """The platform's share of every gift, in basis points (0–10,000):
    ``SPROUT_WALLET_PLATFORM_SHARE_BPS``."""
    share = int(getattr(settings, "SPROUT_WALLET_PLATFORM_SHARE_BPS", 3_000))
    if not 0 <= share <= BPS:
        raise ValueError(f"SPROUT_WALLET_PLATFORM_SHARE_BPS must be 0–{BPS}, not {share}")
    return share


def split_coins(coins: int, *, share_bps: int | None = None) -> tuple[int, int]:
    """``(host_part, platform_part)`` of a gift worth ``coins``: the platform's
    part rounded down, the remainder to the host; the parts add up to
    ``coins`` exactly. So a gift worth less than ``BPS / share`` coins (a
    1-coin rose at 30 %) gives the platform nothing, on purpose: the host
    never gets less than their share, and each gift's entry is exact on its
    own (docs/architecture.md, "Money")."""
    share = platform_share_bps() if share_bps is None else share_bps
    platform_part = coins * share // BPS
    return coins - platform_part, platform_part
