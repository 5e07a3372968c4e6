#!/usr/bin/env bash
# Runs IssueSync on Debian 12: installs what is missing, builds the UI and the desktop
# app, and opens its window. On a machine without a display it builds the CLI instead
# and runs it with the given arguments (e.g. `scripts/run.sh list`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-debian.sh

if [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; then
  (cd ui && npm run --silent build)
  cargo build --locked -p issuesync-desktop --features custom-protocol
  exec target/debug/issuesync-desktop
fi

cargo build --locked --bin issuesync
if [[ $# -eq 0 ]]; then
  echo "No display: here is the CLI (target/debug/issuesync)." >&2
  exec target/debug/issuesync --help
fi
exec target/debug/issuesync "$@"
