#!/usr/bin/env bash
# The desktop benchmark (benches/desktop.rs): first paint of the issue list at 100,000
# issues, a scroll of the whole list and the app's idle memory, in the real window.
# Builds the UI, the app (release, UI embedded), the CLI and the benchmark, then runs it
# the way scripts/test.sh runs the desktop end-to-end tests: scripts/test-session.sh (a
# private D-Bus session with gnome-keyring, and xvfb-run). Figures go to
# bench-results/desktop.json; the next `cargo bench --bench performance` puts them in
# BENCHMARKS.md. Takes minutes, so it is not part of scripts/test.sh or CI. Needs what the
# end-to-end tests need (scripts/setup-debian.sh installs it).
#
#   scripts/bench-desktop.sh [--launches N] [--issues N] [--scrolls N] [--shipped-only [--app-env NAME=VALUE]...]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ui: build" >&2
(cd ui && npm run --silent build)

# One cargo invocation for the app, the CLI and the benchmark, so they share one
# resolution of features (the benchmark's dev-dependencies included) and one build.
build=(--release --workspace --features issuesync-desktop/custom-protocol --locked --bins --bench desktop)
echo "== build (release): the app with the UI, the CLI, the benchmark" >&2
cargo build "${build[@]}"
bench_bin=$(cargo build "${build[@]}" --message-format=json 2>/dev/null |
  grep '"name":"desktop","src_path"' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
[[ -x $bench_bin ]] || { echo "cannot find the desktop benchmark's binary" >&2; exit 1; }

echo "== desktop benchmark (private D-Bus session, gnome-keyring, Xvfb)" >&2
bash scripts/test-session.sh "$bench_bin" "$@"
