"""The messages for the user: how the session says one, and the log that keeps them whole.

:class:`Reporter` is how :class:`vbg.app.session.Session` says a sentence: logged, not repeated
while the same text was said just now, handed to the owner to show. The status bar has room for
one line and clears it after a while; a long sentence (a settings file problem, the
virtual-camera help) would otherwise be lost, so :class:`MessageLog` keeps them to be read whole
later (View → Messages…). Qt-free: the shell adds every message it shows, the messages dialog
lists them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from vbg.app.status import MessageThrottle
from vbg.errors import VbgError

Level = Literal["info", "warning", "error"]
LEVEL_WORDS: dict[str, str] = {"info": "Info", "warning": "Warning", "error": "Error"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    at: float  # wall-clock time (time.time())
    level: Level
    text: str

    def line(self) -> str:
        """``14:03:05  Warning  The settings file …`` (local time)."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        return f"{stamp}  {LEVEL_WORDS.get(self.level, self.level)}  {self.text}"


class MessageLog:
    """The last ``maxlen`` messages, oldest first."""

    def __init__(self, maxlen: int = 200, clock: Callable[[], float] = time.time) -> None:
        self._items: deque[Message] = deque(maxlen=maxlen)
        self._clock = clock

    def add(self, text: str, level: Level) -> Message:
        message = Message(self._clock(), level, text)
        self._items.append(message)
        return message

    def entries(self) -> tuple[Message, ...]:
        return tuple(self._items)

    def text(self) -> str:
        """Every message, one per paragraph (newest last)."""
        return "\n\n".join(m.line() for m in self._items)

    def __len__(self) -> int:
        return len(self._items)


class Reporter:
    """Says a sentence to the user: ``reporter(text, level)`` logs it (a warning or an error
    as a warning) and hands it to ``send`` (the owner shows it), unless the same text was said
    within the :class:`~vbg.app.status.MessageThrottle`'s quiet time (``now`` from ``clock``
    unless given). ``last``: the last sentence said, with its level."""

    def __init__(self, send: Callable[[str, Level], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.throttle = MessageThrottle()
        self.last: tuple[str, Level] | None = None
        self._send = send
        self._clock = clock

    def __call__(self, text: str, level: Level, now: float | None = None) -> None:
        if not self.throttle.allow(text, self._clock() if now is None else now):
            return
        (log.warning if level != "info" else log.info)("%s", text)
        self.last = (text, level)
        self._send(text, level)

    def error(self, exc: BaseException, now: float | None = None) -> None:
        """An error as one sentence: a ``VbgError`` is one already; anything else is a bug,
        logged with its traceback and said as one line."""
        if isinstance(exc, VbgError):
            self(str(exc), "error", now)
            return
        log.error("unexpected error in the pipeline", exc_info=exc)
        self(f"Unexpected error: {type(exc).__name__}: {exc} (details in the log).", "error",
             now)
