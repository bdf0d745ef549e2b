#!/usr/bin/env bash
# Build the vbg bundle (dist/vbg/vbg) and, on Debian/Ubuntu, the .deb (dist/vbg_<ver>_<arch>.deb)
# in one command, then print the packaging numbers (sizes by component, cold start, build time)
# and FAIL (exit 3) when a goal is missed: bundle <= 300 MB, .deb <= 100 MB, cold start <= 3 s.
#
#   packaging/build.sh                 bundle + .deb + numbers
#   packaging/build.sh --no-deb        bundle + numbers (any OS PyInstaller supports)
#   packaging/build.sh --no-numbers    skip the cold-start runs (sizes are still checked)
#
# Environment: PYTHON (default: python, else python3) must have the dev extra installed
# (PyInstaller, PySide6-Essentials) and vbg's dependencies; DIST (dist) and WORK
# (build/pyinstaller) choose the output and scratch folders; DEB_COMPRESSION (xz) and
# DEB_LEVEL (6) the .deb compression.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python || command -v python3)}
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}
MAKE_DEB=1
NUMBERS=1
for arg in "$@"; do
    case "$arg" in
        --no-deb) MAKE_DEB=0 ;;
        --no-numbers) NUMBERS=0 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is missing in $PYTHON; pip install -e '.[dev]'" >&2
    exit 2
fi
if [ "$MAKE_DEB" = 1 ] && ! command -v dpkg-deb >/dev/null; then
    echo "build.sh: dpkg-deb not found: building the bundle only (--no-deb)" >&2
    MAKE_DEB=0
fi

start=$(date +%s.%N)
echo "== PyInstaller bundle -> $DIST/vbg"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/vbg.spec
bundle_done=$(date +%s.%N)

DEB=""
if [ "$MAKE_DEB" = 1 ]; then
    echo "== Debian package -> $DIST/"
    DEB=$("$PYTHON" packaging/linux/build_deb.py --bundle "$DIST/vbg" --out "$DIST" \
        --compression "${DEB_COMPRESSION:-xz}" --level "${DEB_LEVEL:-6}")
    echo "$DEB"
fi
end=$(date +%s.%N)

bundle_s=$(awk -v a="$start" -v b="$bundle_done" 'BEGIN { printf "%.1f", b - a }')
total_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "== build time: bundle ${bundle_s} s, total ${total_s} s"

echo "== numbers"
measure_args=(--bundle "$DIST/vbg" --build-seconds "$total_s" --json "$DIST/packaging-numbers.json")
[ -n "$DEB" ] && measure_args+=(--deb "$DEB")
[ "$NUMBERS" = 1 ] || measure_args+=(--sizes-only)
status=0
"$PYTHON" packaging/measure.py "${measure_args[@]}" || status=$?
if [ "$status" = 3 ]; then
    echo "build.sh: FAILED: a packaging goal was missed (see GOAL MISSED above);" \
         "the artefacts are in $DIST but must not ship as they are" >&2
    exit 3
elif [ "$status" != 0 ]; then
    echo "build.sh: FAILED: the bundle's self-test failed (exit $status)" >&2
    exit "$status"
fi
echo "== all packaging goals met"
