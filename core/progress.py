"""The progress bar of long management commands.

``Notes   [#####.........] 5/30`` on the command's stderr: redrawn in place
on a terminal; otherwise (logs of ``make run``, cron mail) one line when the
work starts and one per tenth of it, so the log stays short. Lines printed
meanwhile call :meth:`Progress.clear` first, so they never land on the bar.
"""

from __future__ import annotations

from django.core.management.base import OutputWrapper


def _plain(text: str) -> str:
    # Django styles stderr as errors (red) on a terminal; progress is not one.
    return text


class Progress:
    """``label`` over ``total`` steps (``total`` may also be given to
    :meth:`show` as the work goes). Disabled (``--no-progress``, quiet
    verbosity) it prints nothing."""

    BAR = 30

    def __init__(
        self, out: OutputWrapper, label: str, total: int = 0, *, enabled: bool = True
    ) -> None:
        self.out, self.label, self.total = out, label, total
        self.enabled = enabled
        self.tty = out.isatty()
        self.done = 0
        self.shown_tenth = -1
        self.drawn = ""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more done."""
        self.show(self.done + steps)

    def show(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` (or of the total given before)."""
        self.done = done
        if total is not None:
            self.total = total
        if not self.enabled or self.total <= 0:
            return
        line = self._line()
        if self.tty:
            self.out.write(f"\r{line}", style_func=_plain, ending="")
            self.out.flush()
            self.drawn = line
            return
        tenth = self.done * 10 // self.total
        if tenth > self.shown_tenth:
            self.shown_tenth = tenth
            self.out.write(line, style_func=_plain)

    def clear(self) -> None:
        """Wipe the in-place bar before another line is printed."""
        if self.tty and self.drawn:
            self.out.write("\r" + " " * len(self.drawn) + "\r", style_func=_plain, ending="")
            self.out.flush()
            self.drawn = ""

    def finish(self) -> None:
        """The work is done: end the bar's line on a terminal."""
        if self.tty and self.drawn:
            self.out.write("", style_func=_plain)
            self.drawn = ""

    def _line(self) -> str:
        filled = min(self.done, self.total) * self.BAR // self.total
        bar = "#" * filled + "." * (self.BAR - filled)
        return f"{self.label:<8}[{bar}] {self.done}/{self.total}"
