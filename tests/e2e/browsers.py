"""Real consumers of a PipeWire camera, for end-to-end tests: headless Chromium, Firefox ESR and
GStreamer's ``pipewiresrc``, each run inside a :class:`~tests.e2e.pwsession.PipeWireSession`.

The browsers open a page (served here on 127.0.0.1) that calls getUserMedia, waits 1.5 s,
draws one frame and POSTs what it saw back to the server:

    {"label": "vbg", "settings": {...}, "size": [w, h], "meanRGB": [r, g, b],
     "grid": [[[r, g, b] x 8] x 8],            # mean colour of an 8x8 grid of blocks, row major
     "firstFrameMs": ms,                        # getUserMedia called -> first frame painted
     "trackState": "live", "muted": false,      # the track when the frame was drawn
     "endedMs": ms, "mutes": n,                 # only if the track ended / was muted
     "attempts": n, "retriedMs": ms, "firstError": "Name: message",
     "devicesBefore": [...], "devicesAfter": [...], "error": "Name: message"}

``error`` only when something failed. A browser that dies before its page answers is
launched once more (``relaunchedAfter`` then holds the first failure). getUserMedia failing
with NotFoundError, NotReadableError or AbortError is retried every 0.3 s for ``retry`` seconds
(the browsers discover PipeWire cameras asynchronously, so a page opened at once can race the
discovery): ``attempts`` > 1 says it happened, ``firstError`` what the first attempt got,
``retriedMs`` how long it took; pass ``retry=0`` to forbid it. ``devicesBefore`` (before
getUserMedia) is empty in Firefox, which lists no camera before getUserMedia, and may be empty
in Chromium for the same race: check ``devicesAfter``.

The read_with_* functions add ``tag``, ``seconds`` (browser start to result), ``log`` (the
browser's log file) and, when the page never answered, ``error`` ("no result (timeout ...)" or
"(the browser exited ...)") with ``exited``. Every browser runs in a fresh profile (HOME in the
session's directory too) and is killed afterwards: SIGTERM to its process group, SIGKILL 2 s on.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tests.e2e.pwsession import PipeWireSession, terminate

CHROMIUM = "chromium"
FIREFOX = "firefox-esr"
GST = "gst-launch-1.0"

CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--no-first-run", "--use-fake-ui-for-media-stream",
    "--enable-features=WebRtcPipeWireCamera", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-gpu", "--enable-logging=stderr",
    # The camera's own story in the log (as MOZ_LOG gives Firefox's below): portal access,
    # devices and formats found, the PipeWire stream's state changes and errors. A read that
    # fails says why there (see camera_log_lines).
    "--vmodule=*/modules/video_capture/*=1,*video_capture_device_factory_webrtc*=1",
)

# What camera_log_lines keeps of a browser's log: Chromium's camera modules above, Firefox's
# MOZ_LOG modules, and errors, less the lines every headless run prints here (no system bus,
# no device-ranking preference, the zygote gone at exit).
CAMERA_LOG = re.compile(r"video_capture|camera_portal|pipewire|CamerasParent|VideoEngine|"
                        r"MediaManager|ERROR", re.IGNORECASE)
LOG_NOISE = re.compile(r"dbus/|capture_device_ranking|zygote")

FIREFOX_PREFS = {
    "media.webrtc.camera.allow-pipewire": True,
    "media.navigator.permission.disabled": True,
    "media.navigator.streams.fake": False,
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "browser.aboutwelcome.enabled": False,
    "app.update.auto": False,
    "app.update.enabled": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.update.enabled": False,
}

PAGE = """<!doctype html><html><body><video id=v autoplay muted playsinline></video>
<canvas id=c></canvas><script>
const GRID = 8;
async function probe() {
  const out = {};
  try {
    out.devicesBefore = (await navigator.mediaDevices.enumerateDevices())
      .map(d => d.kind + '|' + d.label);
    // The browsers discover PipeWire cameras asynchronously (portal, then the graph): right
    // after start-up getUserMedia may find none yet. Retry such failures for RETRY ms and
    // say so (attempts, firstError, retriedMs) rather than fail on a discovery race.
    const params = new URLSearchParams(location.search);
    const RETRY = Number(params.get('retry') || 10000);
    const tFirst = performance.now();
    let s = null, t0 = 0;
    out.attempts = 0;
    while (s === null) {
      t0 = performance.now(); out.attempts++;
      try { s = await navigator.mediaDevices.getUserMedia({video: true}); }
      catch (e) {
        if (!['NotFoundError', 'NotReadableError', 'AbortError'].includes(e.name)
            || performance.now() - tFirst > RETRY) throw e;
        if (!out.firstError) out.firstError = e.name + ': ' + e.message;
        await new Promise(r => setTimeout(r, 300));
      }
    }
    out.retriedMs = Math.round(t0 - tFirst);
    const t = s.getVideoTracks()[0];
    // What the track went through while it was read: a track that ends shows a 2x2 black
    // frame in Chromium, so the size alone can't say why a read failed.
    t.addEventListener('ended', () => { out.endedMs = Math.round(performance.now() - t0); });
    t.addEventListener('mute', () => { out.mutes = (out.mutes || 0) + 1; });
    out.label = t.label; const st = t.getSettings();
    out.settings = {width: st.width, height: st.height, frameRate: st.frameRate};
    const v = document.getElementById('v');
    const first = new Promise(r => {
      if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(() => r(performance.now()));
      else v.addEventListener('loadeddata', () => r(performance.now()), {once: true});
    });
    v.srcObject = s; await v.play();
    out.firstFrameMs = Math.round((await first) - t0);
    await new Promise(r => setTimeout(r, 1500));
    out.trackState = t.readyState; out.muted = t.muted;
    const c = document.getElementById('c'); const w = v.videoWidth, h = v.videoHeight;
    c.width = w; c.height = h;
    const g = c.getContext('2d', {willReadFrequently: true}); g.drawImage(v, 0, 0);
    const d = g.getImageData(0, 0, w, h).data;
    const sum = [0, 0, 0];
    const cells = Array.from({length: GRID * GRID}, () => [0, 0, 0, 0]);
    for (let y = 0; y < h; y++) {
      const gy = Math.min(GRID - 1, Math.floor(y * GRID / h));
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        const cell = cells[gy * GRID + Math.min(GRID - 1, Math.floor(x * GRID / w))];
        sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2];
        cell[0] += d[i]; cell[1] += d[i + 1]; cell[2] += d[i + 2]; cell[3] += 1;
      }
    }
    out.size = [w, h];
    out.meanRGB = sum.map(x => Math.round(x / (w * h)));
    out.grid = [];
    for (let r = 0; r < GRID; r++)
      out.grid.push(cells.slice(r * GRID, r * GRID + GRID)
        .map(c => [0, 1, 2].map(k => Math.round(c[k] / Math.max(1, c[3])))));
    t.stop();
  } catch (e) { out.error = e.name + ': ' + e.message; }
  try {
    out.devicesAfter = (await navigator.mediaDevices.enumerateDevices())
      .map(d => d.kind + '|' + d.label);
  } catch (e) {}
  return JSON.stringify(out);
}
window.addEventListener('load', async () => {
  const r = await probe();
  await fetch('/result?' + location.search.slice(1), {method: 'POST', body: r});
});
</script></body></html>
"""


class ResultServer:
    """Serves :data:`PAGE` at ``/index.html?key=KEY`` and collects the POSTed results by key.
    A daemon thread, 127.0.0.1 on a free port; one per test process is enough."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.cond = threading.Condition()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?", 1)[0] not in ("/", "/index.html"):
                    self.send_error(404)
                    return
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&")
                           if "=" in p).get("key", "")
                try:
                    result = json.loads(raw.decode())
                except ValueError:
                    result = {"error": f"unparsable result: {raw[:200]!r}"}
                with owner.cond:
                    owner.results[key] = result
                    owner.cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, name="e2e-results",
                         daemon=True).start()

    def url(self, key: str, retry: float = 10) -> str:
        return f"http://127.0.0.1:{self.port}/index.html?key={key}&retry={int(retry * 1000)}"

    def wait(self, key: str, timeout: float, alive: Any = None) -> dict[str, Any] | None:
        """The result posted under ``key``; None after ``timeout`` s or once ``alive()`` is
        false (the browser exited without posting)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while key not in self.results:
                left = deadline - time.monotonic()
                if left <= 0 or (alive is not None and not alive()):
                    return None
                self.cond.wait(min(left, 0.5))
            return self.results.pop(key)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_server: ResultServer | None = None
_server_lock = threading.Lock()


def result_server() -> ResultServer:
    """The process-wide :class:`ResultServer`, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            _server = ResultServer()
        return _server


def _run_browser(session: PipeWireSession, kind: str, tag: str, argv_for: Any,
                 timeout: float, retry: float, env: dict[str, str] | None = None,
                 relaunch: bool = True) -> dict[str, Any]:
    result = _launch_once(session, kind, tag, argv_for, timeout, retry, env)
    if relaunch and result.get("exited") is not None:
        # The browser itself died before its page answered (seen once in ~50 headless Firefox
        # runs on a loaded 2-core machine: exit status 11, no result): one more launch, and the
        # first failure is kept in the result ("relaunchedAfter") for the test to see.
        first = result
        result = _launch_once(session, kind, tag, argv_for, timeout, retry, env)
        result["relaunchedAfter"] = first["error"]
    return result


def _launch_once(session: PipeWireSession, kind: str, tag: str, argv_for: Any,
                 timeout: float, retry: float, env: dict[str, str] | None) -> dict[str, Any]:
    server = result_server()
    key = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', tag)}-{uuid.uuid4().hex[:8]}"
    profile = session.dir / f"{kind}-{key}"
    profile.mkdir()
    log = session.logs / f"{kind}-{key}.log"
    argv = argv_for(profile, server.url(key, retry))
    # HOME in the session too: the browsers create folders there (Downloads, Pictures, caches).
    home = session.dir / "home"
    home.mkdir(exist_ok=True)
    t0 = time.monotonic()
    seconds = 0.0
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env={**session.env, "HOME": str(home), **(env or {})},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        result = server.wait(key, timeout, alive=lambda: proc.poll() is None)
        seconds = time.monotonic() - t0
        exited = proc.poll()
    finally:
        terminate(proc, grace=2.0)
    if result is None:
        if exited is not None:
            why = f"the browser exited with status {exited} after {seconds:.1f} s"
        else:
            why = f"timeout after {timeout:g} s"
        result = {"error": f"{kind}: no result ({why}); log {log}", "exited": exited}
    result.update(tag=tag, seconds=round(seconds, 2), log=str(log))
    return result


def read_with_chromium(session: PipeWireSession, tag: str = "chromium", timeout: float = 45,
                       extra_flags: tuple[str, ...] = (), retry: float = 10) -> dict[str, Any]:
    """Headless Chromium (PipeWire camera flag on) opens the camera once; what it saw."""
    def argv(profile: Path, url: str) -> list[str]:
        return [CHROMIUM, *CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={profile}", url]
    return _run_browser(session, "chromium", tag, argv, timeout, retry)


def read_with_firefox(session: PipeWireSession, tag: str = "firefox", timeout: float = 60,
                      prefs: dict[str, Any] | None = None, retry: float = 10) -> dict[str, Any]:
    """Headless Firefox ESR (``media.webrtc.camera.allow-pipewire``) opens the camera once."""
    def argv(profile: Path, url: str) -> list[str]:
        lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});"
                 for k, v in {**FIREFOX_PREFS, **(prefs or {})}.items()]
        (profile / "user.js").write_text("\n".join(lines) + "\n")
        return [FIREFOX, "--headless", "--no-remote", "--profile", str(profile), url]
    return _run_browser(session, "firefox", tag, argv, timeout, retry,
                        env={"MOZ_LOG": "CamerasParent:4,VideoEngine:4,MediaManager:4"})


def camera_log_lines(log: Path, last: int = 60) -> str:
    """The last ``last`` lines of a browser's log that tell about the camera (CAMERA_LOG)."""
    if not log.is_file():
        return "(no log)"
    lines = [ln for ln in log.read_text(errors="replace").splitlines()
             if CAMERA_LOG.search(ln) and not LOG_NOISE.search(ln)]
    return "\n".join(lines[-last:]) or "(no camera lines in the log)"


# ---- GStreamer ---------------------------------------------------------------------------------

class GstRead(NamedTuple):
    width: int
    height: int
    mean_rgb: tuple[float, float, float]   # of the last frame
    frames: int


_SINK_CAPS = re.compile(r"GstFileSink:[^.]*\.GstPad:sink: caps = (video/x-raw.*)")


def _caps_size(text: str) -> tuple[int, int] | None:
    """(width, height) of the RGB caps the filesink negotiated, from ``gst-launch -v``."""
    for m in _SINK_CAPS.finditer(text):
        fields = dict(re.findall(r"(\w+)=\([a-z]+\)([^,]+)", m.group(1)))
        if fields.get("format") == "RGB" and "width" in fields and "height" in fields:
            return int(fields["width"]), int(fields["height"])
    return None


def gst_frames(session: PipeWireSession, node_id: int, n: int = 30,
               timeout: float = 15) -> np.ndarray:
    """Read ``n`` frames of node ``node_id`` with ``pipewiresrc``, as RGB uint8
    (frames x height x width x 3). RuntimeError (with gst's output) when nothing came."""
    out = session.dir / f"gst-{node_id}-{uuid.uuid4().hex[:8]}.rgb"
    argv = [GST, "-v", "pipewiresrc", f"path={node_id}", f"num-buffers={n}",
            "do-timestamp=true", "!", "videoconvert", "!", "video/x-raw,format=RGB", "!",
            "filesink", f"location={out}"]
    try:
        r = subprocess.run(argv, env=session.env, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL, start_new_session=True)
        rc, text = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as exc:
        rc = 124
        text = "".join(x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                       for x in (exc.stdout, exc.stderr)) + f"\n(timeout after {timeout:g} s)"
    try:
        size = _caps_size(text)
        data = out.read_bytes() if out.exists() else b""
        if rc != 0 or size is None or not data:
            raise RuntimeError(f"gst pipewiresrc path={node_id}: rc={rc}, {len(data)} bytes; "
                               f"output:\n{text[-2000:]}")
        w, h = size
        stride = (w * 3 + 3) & ~3                # GStreamer rounds RGB rows up to 4 bytes
        count = len(data) // (stride * h)
        frames = np.frombuffer(data[:count * stride * h], np.uint8)
        return frames.reshape(count, h, stride)[:, :, :w * 3].reshape(count, h, w, 3)
    finally:
        out.unlink(missing_ok=True)


def read_with_gst(session: PipeWireSession, node_id: int, n: int = 30,
                  timeout: float = 15) -> GstRead:
    """Read ``n`` frames with ``pipewiresrc``: (width, height, mean RGB of the last frame,
    number of frames)."""
    frames = gst_frames(session, node_id, n, timeout)
    last = frames[-1].reshape(-1, 3).mean(axis=0)
    return GstRead(frames.shape[2], frames.shape[1],
                   (float(last[0]), float(last[1]), float(last[2])), frames.shape[0])
