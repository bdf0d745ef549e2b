#!/usr/bin/env bash
# Make dist/vbg-<version>.dmg from dist/vbg.app (built by `pyinstaller packaging/vbg.spec` on
# macOS): a compressed disk image with the app and a link to /Applications to drag it onto.
# UNTESTED HERE (needs macOS: hdiutil). Usage: packaging/macos/make_dmg.sh [dist]
set -euo pipefail
cd "$(dirname "$0")/../.."
DIST=${1:-dist}
APP="$DIST/vbg.app"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' vbg/__init__.py)
[ -d "$APP" ] || { echo "make_dmg.sh: $APP is missing; run pyinstaller packaging/vbg.spec" >&2; exit 2; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$DIST/vbg-$VERSION.dmg"
rm -f "$DMG"
hdiutil create -volname "vbg $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
if [ -n "${VBG_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$VBG_CODESIGN_IDENTITY" --timestamp "$DMG"
fi
echo "$DMG"
