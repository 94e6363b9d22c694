"""What every app's management commands share (their progress bar is
:mod:`core.progress`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def count_option(flag: str, maximum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a demo hook's ``--<flag> N`` option: a whole
    number from 0 to ``maximum``, refused with a message naming the flag."""

    def parse(value: str) -> int:
        try:
            count = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
        if not 0 <= count <= maximum:
            raise argparse.ArgumentTypeError(f"{flag} must be between 0 and {maximum}, not {count}")
        return count

    return parse
