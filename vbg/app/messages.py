"""The messages the user was shown, kept so they can be read whole later (View → Messages…).

The status bar has room for one line and clears it after a while; a long sentence (a settings
file problem, the virtual-camera help) would otherwise be lost. Qt-free: the shell adds every
message it shows, the messages dialog lists them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Level = Literal["info", "warning", "error"]
LEVEL_WORDS: dict[str, str] = {"info": "Info", "warning": "Warning", "error": "Error"}


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
