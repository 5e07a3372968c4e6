#!/usr/bin/env bash
# The test command: sets up a fresh Debian 12 machine (scripts/setup-debian.sh), then
# runs every check CI runs — formatting, lints, the UI's lint/typecheck/tests/build,
# all Rust tests (core, CLI, desktop crate), and the real-keychain tests under a
# private D-Bus session with gnome-keyring. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-debian.sh

# Tests must never write the user's real data dir: remember whether it exists.
real_data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/issuesync"
[[ -e $real_data_dir ]] && data_dir_existed=1 || data_dir_existed=0

echo "== rustfmt" >&2
cargo fmt --all -- --check

echo "== ui: lint, typecheck, unit tests, build" >&2
(cd ui && npm run --silent lint && npm run --silent typecheck && npm test --silent && npm run --silent build)

# One feature set for every cargo step, so clippy and tests share their builds.
features=(--workspace --features issuesync-desktop/custom-protocol)

echo "== clippy" >&2
cargo clippy "${features[@]}" --all-targets --locked -- -D warnings

echo "== cargo test" >&2
cargo test "${features[@]}" --locked

echo "== keychain tests (gnome-keyring in a private D-Bus session)" >&2
export NO_AT_BRIDGE=1 GTK_A11Y=none
XDG_RUNTIME_DIR=$(mktemp -d) KEYRING_HOME=$(mktemp -d)
export XDG_RUNTIME_DIR KEYRING_HOME
dbus-run-session -- bash -c '
  HOME="$KEYRING_HOME" bash -c "echo -n ci-password | gnome-keyring-daemon --unlock --components=secrets" >/dev/null
  cargo test --locked --test tests keychain -- --ignored
' 2> >(grep -v "Failed to set fd limit" >&2)

if [[ $data_dir_existed -eq 0 && -e $real_data_dir ]]; then
  echo "a test wrote the real data dir $real_data_dir" >&2
  exit 1
fi
echo "== all checks passed" >&2
