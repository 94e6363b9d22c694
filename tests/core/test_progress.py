"""The progress bar of long commands (core.progress): short logs off a
terminal, one line redrawn in place on one."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper

from core.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def progress_output(stream: io.StringIO, total: int) -> str:
    progress = Progress(OutputWrapper(stream), "Notes", total, enabled=True)
    for _ in range(total):
        progress.advance()
    progress.finish()
    return stream.getvalue()


def test_progress_prints_a_line_per_tenth_when_not_a_terminal() -> None:
    text = progress_output(io.StringIO(), 160)
    lines = text.splitlines()
    # The first item says the work started; then one line per tenth.
    assert len(lines) == 11
    assert lines[0] == "Notes   [..............................] 1/160"
    assert lines[-1] == "Notes   [##############################] 160/160"
    assert lines[8].endswith("] 128/160")
    assert "\r" not in text


def test_progress_redraws_in_place_on_a_terminal() -> None:
    output = progress_output(FakeTerminal(), 4)
    assert output.count("\r") == 4
    assert "\rNotes   [######################........] 3/4" in output
    assert output.endswith("4/4\n")


def test_a_line_printed_meanwhile_clears_the_bar_first() -> None:
    stream = FakeTerminal()
    progress = Progress(OutputWrapper(stream), "stats", enabled=True)
    progress.show(1, 3)
    progress.clear()
    stream.write("day 1: 12 rows\n")
    progress.show(2, 3)
    progress.clear()

    text = stream.getvalue()
    assert "\r" + " " * len("stats   [" + "#" * 10 + "." * 20 + "] 1/3") + "\rday 1" in text
    assert text.endswith("\r")


def test_a_disabled_bar_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(OutputWrapper(stream), "payouts", 10, enabled=False)
    progress.advance()
    progress.finish()
    assert stream.getvalue() == ""
