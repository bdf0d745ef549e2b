#!/bin/sh
# /usr/bin/vbg: start the vbg bundle installed under /opt/vbg, passing every argument on.
# The bundle is looked up relative to this file's root (<root>/usr/bin/vbg runs
# <root>/opt/vbg/vbg), so the very same file also works when the package is unpacked
# somewhere else (dpkg -x vbg.deb DIR; DIR/usr/bin/vbg --selftest).
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
root=${self%/usr/bin/*}
if [ "$root" = "$self" ] || [ ! -x "$root/opt/vbg/vbg" ]; then
    root=
fi
exec "$root/opt/vbg/vbg" "$@"
