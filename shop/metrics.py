"""The shop's Prometheus metrics (``core.metrics``; contributed in
``ShopConfig.ready``, listed in ``docs/observability.md``)."""

from __future__ import annotations

from core.metrics import counter
from shop.gate import Admit

FLASH_GATE_ANSWERS = counter(
    "sprout_flash_gate_answers",
    "Flash-sale buy requests answered by the gate at the HTTP edge, by answer: admitted "
    "(let into Django for a unit), sold_out, not_started, ended, key_known (a retry: Django "
    "answered) or unknown (the gate could not tell: Django answered).",
    ["answer"],
)

ALL = (FLASH_GATE_ANSWERS,)

# One child per answer, made once: the sold-out crowd's path skips the label lookup.
_BY_ANSWER = {answer: FLASH_GATE_ANSWERS.labels(answer=answer.name.lower()) for answer in Admit}


def flash_gate_answered(answer: Admit) -> None:
    _BY_ANSWER[answer].inc()
