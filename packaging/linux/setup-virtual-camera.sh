#!/bin/sh
# /usr/lib/vbg/setup-virtual-camera: load the v4l2loopback virtual camera now, or say exactly
# what stops it (module not installed, kernel headers missing, Secure Boot, container, ...).
#
# Called by the package's postinst; users can run it again after fixing the cause:
#     sudo /usr/lib/vbg/setup-virtual-camera
# The app runs it through pkexec (polkit action io.github.vbg.setup-virtual-camera, so the
# password prompt names vbg). It is a privilege boundary: pkexec gives it a clean environment,
# and it takes no input but the fixed flag --reload (unload v4l2loopback first, to apply vbg's
# options to a module loaded without them); the module options are fixed below.
# The boot-time configuration (/etc/modprobe.d/vbg.conf, /etc/modules-load.d/vbg.conf) is the
# package's job; this script only acts on the running kernel. Exit status: 0 when the virtual
# camera is there, 1 when it is not (the message says why and what to do).

# A privilege boundary runs only the system's own commands, whatever PATH its caller had
# (pkexec cleans the environment, but sudo without secure_path, a postinst or a user's root
# shell need not): /usr/local is left out too, as nothing vbg needs lives there.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

MODULE=v4l2loopback
OPTIONS="devices=1 exclusive_caps=1 card_label=vbg max_buffers=2"

say() { printf 'vbg: %s\n' "$*"; }

RELOAD=no
case "$#:${1:-}" in
    0:) ;;
    1:--reload) RELOAD=yes ;;
    *) say "this helper takes no arguments except --reload."; exit 2 ;;
esac

kernel=$(uname -r)

already_loaded() {
    [ -d /sys/module/$MODULE ] || return 1
    caps=/sys/module/$MODULE/parameters/exclusive_caps
    if [ -r "$caps" ] && ! grep -q '^[Y1]' "$caps"; then
        say "$MODULE is already loaded, but without exclusive_caps=1, so Chrome won't list it."
        say "Reload it with vbg's options (close programs using it first):"
        say "    sudo /usr/lib/vbg/setup-virtual-camera --reload"
    else
        say "the $MODULE virtual camera is loaded."
    fi
    return 0
}

in_container() {
    if command -v systemd-detect-virt >/dev/null 2>&1; then
        systemd-detect-virt --container --quiet && return 0
        return 1
    fi
    [ -f /.dockerenv ] || [ -f /run/.containerenv ]
}

secure_boot_on() {
    command -v mokutil >/dev/null 2>&1 && mokutil --sb-state 2>/dev/null | grep -qi 'enabled'
}

dkms_installed() {
    dpkg-query -W -f='${Status}' v4l2loopback-dkms 2>/dev/null | grep -q 'ok installed'
}

explain_missing_module() {
    if ! dkms_installed; then
        say "the virtual camera needs the v4l2loopback kernel module, which is not installed:"
        say "    sudo apt install v4l2loopback-dkms"
        say "then run: sudo /usr/lib/vbg/setup-virtual-camera (or reboot)."
    elif [ ! -e "/lib/modules/$kernel/build" ]; then
        say "v4l2loopback-dkms is installed but could not be built: the kernel headers for"
        say "$kernel are missing. Install them and rebuild the module:"
        say "    sudo apt install linux-headers-$kernel"
        say "    sudo dpkg-reconfigure v4l2loopback-dkms"
        say "then run: sudo /usr/lib/vbg/setup-virtual-camera (or reboot)."
    else
        say "v4l2loopback-dkms is installed but has no module for kernel $kernel."
        say "See 'sudo dkms status'; rebuild it with 'sudo dpkg-reconfigure v4l2loopback-dkms'."
    fi
}

explain_secure_boot() {
    say "Secure Boot is on and refused the v4l2loopback module (it is not signed by a key the"
    say "firmware trusts). Enroll the DKMS signing key, reboot and confirm it in the blue"
    say "'MOK management' screen with the password you choose:"
    say "    sudo mokutil --import /var/lib/dkms/mok.pub"
    say "(or turn Secure Boot off in the firmware settings). After the reboot the camera loads"
    say "by itself."
}

reload_module() {
    if ! output=$(modprobe -r $MODULE 2>&1); then
        say "could not unload $MODULE to reload it with vbg's options: a program is using"
        say "the virtual camera (OBS, a browser tab, a video app). Close it and try again."
        exit 1
    fi
}

if [ "$RELOAD" = yes ] && [ -d /sys/module/$MODULE ]; then
    reload_module
fi

already_loaded && exit 0

if in_container; then
    say "running in a container: kernel modules can only be loaded on the host. There, run:"
    say "    sudo modprobe $MODULE $OPTIONS"
    exit 1
fi

if ! modinfo $MODULE >/dev/null 2>&1; then
    explain_missing_module
    exit 1
fi

# Options come from /etc/modprobe.d/vbg.conf; give them on the command line too, so a missing
# or edited file still yields a camera Chrome can see.
if output=$(modprobe $MODULE $OPTIONS 2>&1); then
    say "the virtual camera \"vbg\" is ready (v4l2loopback loaded)."
    exit 0
fi

case "$output" in
    *"Key was rejected"*|*"Required key not available"*|*"module verification failed"*)
        explain_secure_boot ;;
    *"Operation not permitted"*|*"must be root"*|*"Permission denied"*)
        if secure_boot_on; then
            explain_secure_boot
        else
            say "loading kernel modules needs root: sudo /usr/lib/vbg/setup-virtual-camera"
        fi ;;
    *)
        if secure_boot_on; then
            explain_secure_boot
        else
            say "modprobe $MODULE failed: $output"
            say "Try it by hand to see the details: sudo modprobe $MODULE $OPTIONS"
        fi ;;
esac
exit 1
