#!/usr/bin/env bash
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.

# Runs Sotto. On a fresh Debian 12, as root:
#   ./apps/run.sh              the desktop app (arguments go to sotto-desktop)
#   ./apps/run.sh cli --help   the command line (arguments after `cli` go to sotto)
#
# Installs what building needs when it is missing (a C compiler, perl and make
# for the vendored OpenSSL and SQLCipher; the Rust toolchain via rustup), and
# for the desktop app the X11/Wayland client libraries its window system
# loads at run time, then builds and runs the program.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sotto-target}"
export PATH="$HOME/.cargo/bin:$PATH"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
BIN=sotto-desktop
if [ "${1:-}" = cli ]; then
    BIN=sotto
    shift
fi
packages=(build-essential pkg-config make perl ca-certificates curl)
if [ "$BIN" = sotto-desktop ]; then
    # winit loads these with dlopen: needed to open a window, not to build.
    packages+=(libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon0
        libxkbcommon-x11-0 libwayland-client0 libwayland-cursor0)
fi
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]}${SUDO:+ with sudo (not running as root)}" >&2
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
if ! command -v cargo >/dev/null; then
    echo "Installing the Rust toolchain with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
fi

cd "$ROOT"
cargo build --release --quiet -p "$BIN" >&2
exec "$CARGO_TARGET_DIR/release/$BIN" "$@"
