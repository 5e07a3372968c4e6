#!/usr/bin/env bash
# The test command: sets up a fresh Debian 12 machine (scripts/setup-debian.sh), then
# runs every check CI runs — formatting, lints, the UI's lint/typecheck/tests/build,
# all Rust tests (core, CLI, desktop crate), and, under a private D-Bus session with
# gnome-keyring and a virtual X server, the real-keychain tests and the end-to-end
# tests of the desktop window (tauri-driver). Exits non-zero on the first failure.
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

echo "== build (with the test targets: the same build as cargo test, plus the app binary)" >&2
cargo build "${features[@]}" --all-targets --locked

echo "== cargo test" >&2
cargo test "${features[@]}" --locked

# The integration-test binary that `cargo test` just ran, run again directly for the
# ignored tests: `cargo test --test tests` would resolve other features (only the root
# package selected) and build a second copy of the dependencies.
tests_bin=$(cargo test "${features[@]}" --locked --tests --no-run 2>&1 |
  sed -n 's|^ *Executable tests/tests.rs (\(.*\))$|\1|p')
[[ -x $tests_bin ]] || { echo "cannot find the tests binary of cargo test" >&2; exit 1; }

echo "== keychain and desktop end-to-end tests (private D-Bus session, gnome-keyring, Xvfb)" >&2
# Each window test bounds itself (five minutes); this bounds the whole step besides, so
# nothing stuck outside a test (a keychain call, a process that will not die) holds CI.
timeout --kill-after=10 900 bash scripts/test-session.sh "$tests_bin" --ignored keychain desktop_e2e

if [[ $data_dir_existed -eq 0 && -e $real_data_dir ]]; then
  echo "a test wrote the real data dir $real_data_dir" >&2
  exit 1
fi
echo "== all checks passed" >&2
