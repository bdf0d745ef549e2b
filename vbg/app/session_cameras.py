"""The session's camera troubles: waiting for a camera that is missing at start, and noticing
when one that failed while running is back (Qt-free).

:class:`CameraWait` is owned by :class:`vbg.app.session.Session`, which decides when to start
and stop; this keeps what is awaited, tells the owner when to look for cameras now and then
(``waiting(True)`` / ``waiting(False)``: list the cameras, then ``Session.retry_start``), and
says the sentences about it.
"""

from __future__ import annotations

from collections.abc import Callable

from vbg.app.messages import Reporter
from vbg.app.status import CameraWatch
from vbg.errors import CameraError

# "Waiting for …" while the first camera list is still being made (source "auto").
LISTING_CAMERAS = "the camera list"


class CameraWait:
    """``waiting_for``: what a start waits for ("camera 0", a path, or
    :data:`LISTING_CAMERAS`), None when it waits for nothing; ``watch``: a camera lost while
    running (:class:`~vbg.app.status.CameraWatch`)."""

    def __init__(self, report: Reporter, waiting: Callable[[bool], None],
                 clock: Callable[[], float]) -> None:
        self.waiting_for: str | None = None
        self.watch = CameraWatch()
        self._report = report
        self._waiting = waiting
        self._clock = clock

    @property
    def for_camera(self) -> bool:
        """A camera is awaited (not the first camera list)."""
        return self.waiting_for not in (None, LISTING_CAMERAS)

    def for_list(self) -> None:
        """The source is "auto" and no camera list has arrived: the start waits for one (the
        owner lists the cameras at start anyway)."""
        self.waiting_for = LISTING_CAMERAS

    def missing(self, source: str, exc: CameraError) -> None:
        """The camera ``source`` failed to open at start: say so, and wait for it."""
        first = not self.for_camera
        self.waiting_for = f"camera {source}" if source.isdigit() else source
        self._report(f"{exc} vbg keeps looking for it; pick the demo picture in the Camera "
                     "menu to go on without one.", "warning")
        if first:
            self._waiting(True)

    def done(self) -> None:
        """Nothing to wait for any more (started, given up or turned off)."""
        if self.waiting_for is not None:
            self.waiting_for = None
            self._waiting(False)

    def started(self) -> None:
        """A pipeline started: no camera awaited, none lost."""
        self.done()
        self.watch.reset()

    def lost(self, exc: CameraError, now: float) -> None:
        """The running camera failed (the pipeline shows the background only and re-opens
        it)."""
        self.watch.lost(now)
        self._report(f"{exc} Meanwhile the virtual camera shows the background only; vbg "
                     "picks the camera up again when it is back.", "warning", now)

    def observe(self, capture_fps: float) -> None:
        """A stats poll: say once that a lost camera is back when frames flow again."""
        if self.watch.observe(capture_fps, self._clock()):
            self._report.throttle.forget()
            self._report("The camera is back.", "info")
