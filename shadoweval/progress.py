"""Progress bars on stderr for long stages, only when a person is watching (stderr is a terminal)."""

from __future__ import annotations

import sys
from typing import Any, Callable

import click


class _Bar:
    def __init__(self, total: int, label: str) -> None:
        self._bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
        self._bar.__enter__()

    def update(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        self._bar.__exit__(None, None, None)


def terminal_progress() -> Callable[[int, str], Any] | None:
    """A progress factory for the pipeline, or None when stderr is not a terminal (CI, pipes)."""
    return _Bar if sys.stderr.isatty() else None
