#!/usr/bin/env bash
# Runs a command the way the keychain tests and the desktop end-to-end tests need it: in a
# private D-Bus session with a throwaway, unlocked gnome-keyring (its files in a temp
# HOME) and a virtual X server (xvfb-run). Nothing of the caller's D-Bus session,
# keychain or display is used, so an IssueSync already running there is left alone.
#
#   scripts/test-session.sh COMMAND [ARG...]
#
# The command's exit code is this script's.
set -euo pipefail
self=$(realpath "$0")

case ${1-} in
  --in-dbus) # 2nd stage, inside dbus-run-session: unlock a fresh keyring, start Xvfb.
    shift
    HOME="$KEYRING_HOME" bash -c "echo -n test-password | gnome-keyring-daemon --unlock --components=secrets" >/dev/null
    exec xvfb-run -a bash "$self" --in-xvfb "$@"
    ;;
  --in-xvfb) # 3rd stage: D-Bus-activated services (the notification daemon) get the display too.
    shift
    dbus-update-activation-environment DISPLAY XAUTHORITY
    exec "$@"
    ;;
esac

(($#)) || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
export NO_AT_BRIDGE=1 GTK_A11Y=none GDK_BACKEND=x11
unset WAYLAND_DISPLAY DISPLAY
XDG_RUNTIME_DIR=$(mktemp -d) KEYRING_HOME=$(mktemp -d)
export XDG_RUNTIME_DIR KEYRING_HOME
trap 'rm -rf "$XDG_RUNTIME_DIR" "$KEYRING_HOME"' EXIT
dbus-run-session -- bash "$self" --in-dbus "$@" 2> >(grep -v "Failed to set fd limit" >&2)
