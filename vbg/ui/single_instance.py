"""One desktop app per user: a second ``vbg`` brings the running app's window up and exits.

Contract of :func:`claim`: called once at start-up, with the QApplication made and before its
event loop runs. Under a lock file (so two launches in the same instant, a double-clicked
icon, can't both win) it connects to the local server named by :func:`server_name`:

- an app answers: it is asked to show its window (show, raise, activate: the tray's "Show
  preview"), and :data:`BROUGHT_UP` comes back for the caller to print before it exits 0;
  when the running app accepts the connection but does not answer within the timeout (it is
  hung) :data:`NO_ANSWER` comes back instead, and when it drops the connection unanswered
  (it is quitting) :data:`QUITTING`; the caller exits 1 with either sentence;
- nobody answers: a socket file left by a killed app is removed
  (``QLocalServer.removeServer``), this process listens, and the returned
  :class:`InstanceServer` emits ``show_requested`` for each later launch. If listening fails
  anyway (a read-only folder, another user's file in the way), the app still starts, without
  the guarantee, and a warning is logged: a missing guard must never keep vbg from starting.

The name is per user and per settings folder (:func:`server_name`): another user's vbg, or a
test's app with its own ``XDG_CONFIG_HOME``, is a different app. On Linux the socket lives in
``$XDG_RUNTIME_DIR`` (only the user can enter it); elsewhere in the temporary folder under a
name that carries the user id, created owner-only (``UserAccessOption``).

The protocol is one line each way: the client sends ``show``, the app answers ``ok`` once the
window is up; anything else is ignored and the connection dropped.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

BROUGHT_UP = "vbg is already running; its window was brought up."
NO_ANSWER = ("vbg is already running but did not answer; quit it from its tray menu (or end "
             "the process) and start vbg again.")
QUITTING = "vbg is just quitting; start it again in a moment."
SHOW = b"show\n"
OK = b"ok\n"
ANSWER_TIMEOUT_MS = 10000  # the running app may still be starting (its event loop not yet on)
CONNECT_TIMEOUT_MS = 2000
LOCK_TIMEOUT_MS = 10000
_MAX_SUN_PATH = 100  # AF_UNIX paths are limited to 104-108 bytes


def _user_id() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (Windows services): still per profile
        user = os.environ.get("USERPROFILE", "")
    return hashlib.sha1(user.encode()).hexdigest()[:8]


def server_name(scope: str) -> str:
    """The local server's name for this user and ``scope`` (the settings file's path): a full
    socket path in ``$XDG_RUNTIME_DIR`` when there is one, else a name Qt puts in the temporary
    folder (Unix) or the pipe namespace (Windows)."""
    digest = hashlib.sha1(scope.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        path = os.path.join(runtime, f"vbg-{digest}.sock")
        if len(path.encode()) <= _MAX_SUN_PATH:
            return path
    return f"vbg-{_user_id()}-{digest}"


def _socket_file(name: str) -> Path:
    """Where Qt puts the socket of ``name`` on Unix (a full path is used as it is)."""
    return Path(name) if os.path.isabs(name) else Path(QDir.tempPath()) / name


def _lock_path(name: str) -> str:
    return str(_socket_file(name).with_suffix(".lock"))


def ask_to_show(name: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> str | None:
    """Ask the app listening on ``name`` to show its window (blocking, no event loop needed).

    Returns :data:`BROUGHT_UP` when it answered, :data:`NO_ANSWER` when it accepted the
    connection but did not answer within ``timeout_ms``, :data:`QUITTING` when it dropped the
    connection unanswered, ``None`` when nobody listens (no app, or a stale socket file)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(CONNECT_TIMEOUT_MS):
        return None
    try:
        sock.write(SHOW)
        sock.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        answer = b""
        left = timeout_ms
        step = 100
        while left > 0 and not answer.endswith(b"\n") and len(answer) <= 64:
            if sock.waitForReadyRead(step):
                answer += bytes(sock.read(64).data())
            elif sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
                answer += bytes(sock.readAll().data())
                if not answer:
                    return QUITTING
                break
            left -= step
        return BROUGHT_UP if answer == OK else NO_ANSWER
    finally:
        sock.abort()


class InstanceServer(QObject):
    """The first app's side: emits ``show_requested`` for each ``show`` a later launch sends,
    then answers ``ok`` (after the slots ran, so the window is up when the client hears it).
    ``listening`` is False when the server could not be set up (see the module docstring)."""

    show_requested = Signal()
    CLIENT_TIMEOUT_MS = 5000  # a connection that says nothing is dropped

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    @property
    def listening(self) -> bool:
        return self.server.isListening()

    def listen(self, name: str) -> bool:
        """Listen on ``name``. Call only after :func:`ask_to_show` found nobody listening
        there: whatever is left under that name then is a killed app's socket, removed first.
        """
        if _socket_file(name).exists():
            log.info("single instance: removing a stale socket %s", name)
        QLocalServer.removeServer(name)
        if self.server.listen(name):
            return True
        log.warning("single instance: cannot listen on %s (%s); a second vbg would start "
                    "beside this one", name, self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            if conn is None:
                break
            conn.setParent(self)
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)
            QTimer.singleShot(self.CLIENT_TIMEOUT_MS, conn, conn.abort)
            if conn.bytesAvailable():
                self._read(conn)

    def _read(self, conn: QLocalSocket) -> None:
        if not conn.canReadLine():
            if conn.bytesAvailable() > 64:
                conn.abort()
            return
        line = bytes(conn.readLine(64).data())
        if line != SHOW:
            log.info("single instance: ignored %r from a local client", line[:20])
            conn.abort()
            return
        log.info("single instance: another launch asked for the window")
        self.show_requested.emit()
        conn.write(OK)
        conn.flush()
        conn.disconnectFromServer()


def claim(name: str, lock_timeout_ms: int = LOCK_TIMEOUT_MS) -> InstanceServer | str:
    """Become the one app for ``name``, or ask the running one to show its window.

    Returns the listening :class:`InstanceServer` (keep it alive while the app runs), or the
    sentence to print when another app has it (:data:`BROUGHT_UP` or :data:`NO_ANSWER`)."""
    lock = QLockFile(_lock_path(name))
    locked = lock.tryLock(lock_timeout_ms)
    if not locked:  # a lock we can't take must not keep vbg from starting
        log.warning("single instance: could not take %s (%s)", _lock_path(name), lock.error())
    try:
        said = ask_to_show(name)
        if said is not None:
            return said
        server = InstanceServer()
        server.listen(name)
        return server
    finally:
        if locked:
            lock.unlock()
