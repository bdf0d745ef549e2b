"""Moving work from the pipeline's threads onto the Qt thread (cf. napari's ensure_main_thread).

The pipeline calls ``on_error`` on its capture/process/output threads, and the still cutter
finishes on a worker thread; Qt widgets may only be touched on the thread that owns them. The
bridge is a QObject living on the Qt thread: its methods may be called from any thread, and
they emit a signal whose queued connection runs the handler on the bridge's thread, in a later
turn of the event loop. Queued always, also when called on the Qt thread itself, so a handler
never runs re-entrantly inside the engine call that reported the error (``Pipeline.apply``
reports output failures synchronously).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class MainThreadBridge(QObject):
    """``post_error(exc)`` → ``error`` signal on the Qt thread; ``call(fn)`` → ``fn()`` there."""

    error = Signal(object)
    _call = Signal(object)
    _error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)
        self._error.connect(self._relay, Qt.ConnectionType.QueuedConnection)

    def post_error(self, exc: BaseException) -> None:
        """Thread-safe: deliver ``exc`` to the ``error`` signal's slots on the Qt thread."""
        self._error.emit(exc)

    def call(self, fn: Callable[[], object]) -> None:
        """Thread-safe: run ``fn()`` on the Qt thread soon (its result is dropped)."""
        self._call.emit(fn)

    @Slot(object)
    def _relay(self, exc: BaseException) -> None:
        self.error.emit(exc)

    @Slot(object)
    def _run(self, fn: Callable[[], object]) -> None:
        fn()
