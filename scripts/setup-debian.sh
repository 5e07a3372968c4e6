#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test IssueSync:
# the system libraries of the desktop app (WebKitGTK, GTK, libsoup, D-Bus), the
# headless test tools (Xvfb, D-Bus session, gnome-keyring, WebKitWebDriver and
# tauri-driver for the desktop end-to-end tests) and the UI's npm packages.
# Idempotent: installs only what is missing. Rust (cargo, rustfmt, clippy) and
# Node 20 + npm are expected on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config file
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libssl-dev libdbus-1-dev librsvg2-dev
  xvfb xauth dbus dbus-x11 gnome-keyring webkit2gtk-driver dunst
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is missing (Rust stable and Node 20 are required)" >&2; exit 1; }
done

# tauri-driver (WebDriver for Tauri apps, over WebKitWebDriver) into ~/.cargo/bin, where
# tests/desktop_e2e.rs also looks for it when it is not on PATH. Built in a temp dir that
# cargo removes, whatever CARGO_TARGET_DIR says (~40 s).
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if ! command -v tauri-driver >/dev/null && [[ ! -x $cargo_bin/tauri-driver ]]; then
  echo "setup: installing tauri-driver" >&2
  env -u CARGO_TARGET_DIR cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

# npm ci only when the lock file changed since the last install.
stamp=ui/node_modules/.package-lock.json
if [[ ! -f $stamp || ui/package-lock.json -nt $stamp ]]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
