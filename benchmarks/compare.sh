#!/usr/bin/env bash
# CPU per frame: an LFBW-style MediaPipe pipeline (benchmarks/peer_lfbw.py) against `vbg bench`,
# same clip, same sizes, interleaved (peer 720p, vbg 720p, peer 1080p, vbg 1080p) so that a
# change in machine load hits both sides alike. Prints a markdown table; raw JSON is kept.
#
# Environment (all optional):
#   CLIP      video, relative to the repository root   [../shared/video/office_desk.mp4]
#   FRAMES    measured frames per run (after 10 warm-up frames on both sides)   [300]
#   SIZES     space-separated WxH list                 ["1280x720 1920x1080"]
#   PEER_PY   python of the MediaPipe venv             [/work/venvs/mp/bin/python]
#   VBG_PY    python of vbg's venv                     [/work/venv/bin/python]
#   PEER_ARGS extra arguments for peer_lfbw.py, e.g. "--blend f64"   []
#   VBG_ARGS  extra arguments for vbg bench, e.g. "--model selfie_landscape"   []
#   RESULTS   folder for the raw JSON and logs         [a new mktemp -d folder]
set -euo pipefail

cd "$(dirname "$0")/.."
CLIP=${CLIP:-../shared/video/office_desk.mp4}
FRAMES=${FRAMES:-300}
SIZES=${SIZES:-"1280x720 1920x1080"}
PEER_PY=${PEER_PY:-/work/venvs/mp/bin/python}
VBG_PY=${VBG_PY:-/work/venv/bin/python}
PEER_ARGS=${PEER_ARGS:-}
VBG_ARGS=${VBG_ARGS:-}
RESULTS=${RESULTS:-$(mktemp -d -t vbg-compare.XXXXXX)}
mkdir -p "$RESULTS"

[[ -f $CLIP ]] || { echo "clip not found: $CLIP (relative to $(pwd))" >&2; exit 2; }
for py in "$PEER_PY" "$VBG_PY"; do
    [[ -x $py ]] || { echo "python not found: $py" >&2; exit 2; }
done

echo "load before: $(uptime)" | tee "$RESULTS/uptime.txt"
for size in $SIZES; do
    echo "peer $size ..." >&2
    # shellcheck disable=SC2086  # PEER_ARGS/VBG_ARGS are word lists on purpose
    "$PEER_PY" benchmarks/peer_lfbw.py --source "$CLIP" --size "$size" --frames "$FRAMES" \
        $PEER_ARGS >"$RESULTS/peer_$size.json" 2>"$RESULTS/peer_$size.log"
    echo "load: $(uptime)" | tee -a "$RESULTS/uptime.txt" >&2
    echo "vbg $size ..." >&2
    # shellcheck disable=SC2086
    "$VBG_PY" -m vbg bench --source "$CLIP" --size "$size" --frames "$FRAMES" --threads 1 \
        --json --latency-seconds 0 $VBG_ARGS >"$RESULTS/vbg_$size.json" 2>"$RESULTS/vbg_$size.log"
    echo "load: $(uptime)" | tee -a "$RESULTS/uptime.txt" >&2
done
echo "load after: $(uptime)" | tee -a "$RESULTS/uptime.txt"

"$VBG_PY" - "$RESULTS" $SIZES <<'EOF'
import json, sys
from pathlib import Path

results, sizes = Path(sys.argv[1]), sys.argv[2:]
rows = []
for size in sizes:
    peer = json.loads((results / f"peer_{size}.json").read_text())
    vbg = json.loads((results / f"vbg_{size}.json").read_text())
    run = next(r for r in vbg["runs"] if r["size"] == size)
    rows.append((size, peer, vbg, run))

print()
print("| size | peer CPU ms/frame | vbg CPU ms/frame | ratio of frames per CPU-second (vbg / peer) |")
print("|---|---:|---:|---:|")
for size, peer, _, run in rows:
    ratio = run["frames_per_cpu_second"] / peer["frames_per_cpu_second"]
    print(f"| {size} | {peer['cpu_ms_per_frame']:.1f} | {run['cpu_ms_per_frame']:.1f} | {ratio:.2f}x |")

print()
print("Wall time (depends on machine load, unlike CPU time):")
print()
print("| size | peer wall ms/frame | vbg wall ms/frame | peer frames/CPU-s | vbg frames/CPU-s |")
print("|---|---:|---:|---:|---:|")
for size, peer, _, run in rows:
    vbg_wall = 1e3 / run["fps_capacity"] if run["fps_capacity"] else float("nan")
    print(f"| {size} | {peer['wall_ms_per_frame']:.1f} | {vbg_wall:.1f} | "
          f"{peer['frames_per_cpu_second']:.1f} | {run['frames_per_cpu_second']:.1f} |")

_, peer, vbg, run = rows[0]
print()
print(f"frames per run: {peer['frames']} (peer), {run['frames']} (vbg); "
      f"peer: mediapipe {peer['versions']['mediapipe']}, OpenCV {peer['versions']['opencv']}, "
      f"blend {peer['settings']['blend']}, {peer['process_threads']} process threads; "
      f"vbg: model {vbg['settings']['model']}, background {vbg['settings']['background']}, "
      f"ORT threads {vbg['settings']['threads']}, provider {run['provider']}")
print(f"raw JSON and logs: {results}")
EOF
