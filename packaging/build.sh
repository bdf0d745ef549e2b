#!/usr/bin/env bash
# Build the vbg bundle (dist/vbg/vbg) and, on Debian/Ubuntu, the .deb (dist/vbg_<ver>_<arch>.deb)
# in one command, then print the packaging numbers (sizes, cold start, build time).
#
#   packaging/build.sh                 bundle + .deb + numbers
#   packaging/build.sh --no-deb        bundle + numbers (any OS PyInstaller supports)
#   packaging/build.sh --no-numbers    skip the cold-start runs
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
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
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

if [ "$NUMBERS" = 1 ]; then
    echo "== numbers"
    "$PYTHON" packaging/measure.py --bundle "$DIST/vbg" ${DEB:+--deb "$DEB"} \
        --build-seconds "$total_s" --json "$DIST/packaging-numbers.json"
fi
