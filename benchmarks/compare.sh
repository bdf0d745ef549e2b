#!/usr/bin/env bash
# CPU per frame: an LFBW-style MediaPipe pipeline (benchmarks/peer_lfbw.py) against `vbg bench`,
# same clip, same sizes, interleaved (peer 720p, [base 720p,] vbg 720p, peer 1080p, ...) so that
# a change in machine load hits all sides alike. Prints a markdown table; raw JSON is kept.
#
# Environment (all optional):
#   CLIP      video, relative to the repository root   [../shared/video/office_desk.mp4]
#   FRAMES    measured frames per run (after 10 warm-up frames on both sides)   [300]
#   SIZES     space-separated WxH list                 ["1280x720 1920x1080"]
#   ROUNDS    how often the whole interleaved sequence is repeated   [1]
#   PEER_PY   python of the MediaPipe venv             [/work/venvs/mp/bin/python]
#   VBG_PY    python of vbg's venv                     [/work/venv/bin/python]
#   BASE      another vbg checkout (e.g. the main branch) benched too, between the peer and
#             this one: before/after in the same run   []
#   PEER_ARGS extra arguments for peer_lfbw.py, e.g. "--blend f64"   []
#   VBG_ARGS  extra arguments for vbg bench, e.g. "--model selfie_landscape"   []
#   RESULTS   folder for the raw JSON and logs         [a new mktemp -d folder]
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
CLIP=${CLIP:-../shared/video/office_desk.mp4}
FRAMES=${FRAMES:-300}
SIZES=${SIZES:-"1280x720 1920x1080"}
ROUNDS=${ROUNDS:-1}
PEER_PY=${PEER_PY:-/work/venvs/mp/bin/python}
VBG_PY=${VBG_PY:-/work/venv/bin/python}
BASE=${BASE:-}
PEER_ARGS=${PEER_ARGS:-}
VBG_ARGS=${VBG_ARGS:-}
RESULTS=${RESULTS:-$(mktemp -d -t vbg-compare.XXXXXX)}
mkdir -p "$RESULTS"

[[ -f $CLIP ]] || { echo "clip not found: $CLIP (relative to $(pwd))" >&2; exit 2; }
for py in "$PEER_PY" "$VBG_PY"; do
    [[ -x $py ]] || { echo "python not found: $py" >&2; exit 2; }
done
[[ -z $BASE || -d $BASE/vbg ]] || { echo "BASE is not a vbg checkout: $BASE" >&2; exit 2; }

vbg_bench() {  # folder, size, output name
    # shellcheck disable=SC2086  # VBG_ARGS is a word list on purpose
    (cd "$1" && "$VBG_PY" -m vbg bench --source "$REPO/$CLIP" --size "$2" --frames "$FRAMES" \
        --threads 1 --json --latency-seconds 0 $VBG_ARGS \
        >"$RESULTS/$3.json" 2>"$RESULTS/$3.log")
    echo "load: $(uptime)" | tee -a "$RESULTS/uptime.txt" >&2
}

echo "load before: $(uptime)" | tee "$RESULTS/uptime.txt"
for round in $(seq 1 "$ROUNDS"); do
    for size in $SIZES; do
        tag="${size}_r$round"
        echo "peer $size, round $round ..." >&2
        # shellcheck disable=SC2086
        "$PEER_PY" benchmarks/peer_lfbw.py --source "$CLIP" --size "$size" --frames "$FRAMES" \
            $PEER_ARGS >"$RESULTS/peer_$tag.json" 2>"$RESULTS/peer_$tag.log"
        echo "load: $(uptime)" | tee -a "$RESULTS/uptime.txt" >&2
        if [[ -n $BASE ]]; then
            echo "base $size, round $round ..." >&2
            vbg_bench "$BASE" "$size" "base_$tag"
        fi
        echo "vbg $size, round $round ..." >&2
        vbg_bench "$REPO" "$size" "vbg_$tag"
    done
done
echo "load after: $(uptime)" | tee -a "$RESULTS/uptime.txt"

"$VBG_PY" - "$RESULTS" "$ROUNDS" $SIZES <<'PYEOF'
import json
import sys
from pathlib import Path

results, rounds, sizes = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]


def load(kind, size, r):
    path = results / f"{kind}_{size}_r{r}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if kind == "peer":
        return data
    run = next(x for x in data["runs"] if x["size"] == size)
    return {**run, "settings": data["settings"]}


print()
print("| size | round | peer CPU ms/frame | base CPU ms/frame | vbg CPU ms/frame "
      "| vbg frames per CPU-second ÷ peer's | base ÷ peer | vbg wall ms/frame |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
ratios: dict[str, list[float]] = {}
for size in sizes:
    for r in range(1, rounds + 1):
        peer, base, vbg = load("peer", size, r), load("base", size, r), load("vbg", size, r)
        ratio = vbg["frames_per_cpu_second"] / peer["frames_per_cpu_second"]
        ratios.setdefault(size, []).append(ratio)
        base_cpu = f"{base['cpu_ms_per_frame']:.1f}" if base else "-"
        base_ratio = (f"{base['frames_per_cpu_second'] / peer['frames_per_cpu_second']:.2f}x"
                      if base else "-")
        wall = 1e3 / vbg["fps_capacity"] if vbg["fps_capacity"] else float("nan")
        print(f"| {size} | {r} | {peer['cpu_ms_per_frame']:.1f} | {base_cpu} | "
              f"{vbg['cpu_ms_per_frame']:.1f} | **{ratio:.2f}x** | {base_ratio} | {wall:.1f} |")
print()
for size, rs in ratios.items():
    print(f"{size}: vbg makes {min(rs):.2f}-{max(rs):.2f}x the peer's frames per CPU-second")
peer, vbg = load("peer", sizes[0], 1), load("vbg", sizes[0], 1)
print(f"peer: mediapipe {peer['versions']['mediapipe']}, OpenCV {peer['versions']['opencv']}, "
      f"blend {peer['settings']['blend']}, {peer['process_threads']} process threads; "
      f"vbg: model {vbg['settings']['model']}, background {vbg['settings']['background']}, "
      f"ORT threads {vbg['settings']['threads']}, provider {vbg['provider']}")
machine = json.loads((results / f"vbg_{sizes[0]}_r1.json").read_text())["machine"]
print(f"machine: {machine.get('cpu', 'CPU not recorded')}, {machine['cpus']} CPUs")
print(f"raw JSON and logs: {results}")
PYEOF
