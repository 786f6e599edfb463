#!/usr/bin/env bash
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.

# The project's test command. On a fresh Debian 12, as root: ./tests/run.sh
#
# Installs whatever is missing (Debian packages, the Rust toolchain,
# cargo-nextest, cargo-deny), then runs, in order: rustfmt, clippy, cargo-deny,
# every test with nextest, and a short pass of every fuzz target. Fast and
# quiet when everything is installed.
# Exits non-zero if any step fails and names the failed steps.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sotto-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# The desktop app's headless GUI tests (iced_test) render with the software
# renderer: no GPU or display needed.
export ICED_TEST_BACKEND=tiny-skia

# Debian packages the build and the tests need. prosody and ejabberd: the
# real servers the integration tests start (each test its own instance on
# loopback, run as the current user from a temporary directory; the packages'
# system services are never used); tor: tor and tor-gencert for the private Tor test
# network (the package's system service is never started or used); procps:
# kill(1), used to stop Prosody and to nudge tor with SIGHUP; libotr5-dev: C
# libotr 4.1.1, the reference OTR peer the harness compiles (tests/libotr-peer);
# python3, python3-venv: the venv of the python-omemo peer (tests/omemo-peer);
# the rest build the vendored OpenSSL and SQLCipher.
# The desktop app's X window test (apps/sotto-desktop/tests/xvfb.rs) and
# launch bench: xvfb, the virtual X server it starts; xdotool, its keyboard
# and mouse; x11-apps (xwd) and netpbm (xwdtopnm, pnmtopng), its PNG
# screenshot; the X client libraries winit loads at run time to open the
# window (as in apps/run.sh).
APT_PACKAGES=(
    prosody ejabberd tor strace procps ca-certificates curl git
    build-essential pkg-config make perl libotr5-dev python3 python3-venv
    xvfb xdotool x11-apps netpbm dbus-daemon dbus-bin gnome-keyring
    libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0
)

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

# --- Installation -----------------------------------------------------------

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and sudo is missing: run as root or install sudo"
    SUDO=(sudo)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "${#SUDO[@]}" -gt 0 ]; then
        say "Installing ${missing[*]} with sudo (not running as root)"
    else
        say "Installing ${missing[*]}"
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "installing Debian packages: apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "installing Debian packages: ${missing[*]}"
fi

# Debian's rustc is far older than the workspace's rust-version: use rustup.
if ! command -v cargo >/dev/null; then
    say "Installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --component rustfmt,clippy ||
        die "installing Rust with rustup"
fi
if command -v rustup >/dev/null; then
    for component in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$component" ||
            rustup component add "$component" || die "installing the $component component"
    done
fi
command -v cargo-nextest >/dev/null || {
    say "Installing cargo-nextest"
    cargo install --locked cargo-nextest || die "installing cargo-nextest"
}
command -v cargo-deny >/dev/null || {
    say "Installing cargo-deny"
    cargo install --locked cargo-deny || die "installing cargo-deny"
}

# The python-omemo peer of the OMEMO interop tests (tests/omemo-peer/peer.py):
# pinned packages in a venv outside the tree. tests/src/omemo_peer.rs finds it
# at the same path. Keep the pins in step with PEER_PACKAGES there.
export SOTTO_VENV="${SOTTO_VENV:-$HOME/.cache/sotto-venv}"
# slixmpp + slixmpp-omemo: the real XMPP OMEMO peer (tests/omemo-peer/xmpp_peer.py).
OMEMO_PEER_PACKAGES=(omemo==2.1.0 oldmemo==2.1.0 twomemo==2.1.0 xmlschema==4.3.2
    slixmpp==1.17.0 slixmpp-omemo==2.2.0)
omemo_peer_ready() {
    "$SOTTO_VENV/bin/python" - "${OMEMO_PEER_PACKAGES[@]}" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
import omemo, oldmemo.etree, twomemo.etree, slixmpp, slixmpp_omemo  # noqa: F401
sys.exit(any(version(name) != pin for name, pin in (p.split("==") for p in sys.argv[1:])))
PY
}
if ! omemo_peer_ready; then
    say "python-omemo peer venv: installing ${OMEMO_PEER_PACKAGES[*]} into $SOTTO_VENV"
    python3 -m venv "$SOTTO_VENV" || die "python-omemo peer venv: python3 -m venv $SOTTO_VENV"
    "$SOTTO_VENV/bin/pip" install -q "${OMEMO_PEER_PACKAGES[@]}" ||
        die "python-omemo peer venv: pip install ${OMEMO_PEER_PACKAGES[*]}"
fi

# --- Checks -----------------------------------------------------------------

failed=()
step() {
    local name="$1"
    shift
    say "$name"
    if ! "$@"; then
        printf '\033[1;31mstep failed: %s\033[0m\n' "$name" >&2
        failed+=("$name")
    fi
}

advisories() {
    local log
    log="$(mktemp)"
    if cargo deny fetch db >"$log" 2>&1; then
        rm -f "$log"
        cargo deny check advisories
    else
        echo "SKIPPED: cargo deny check advisories -- the RustSec advisory database" \
            "could not be fetched (no access to github.com?):"
        grep -m1 -iE "fatal|error" "$log" | sed 's/^/    /'
        rm -f "$log"
    fi
}

step "cargo fmt --all --check" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo deny check licenses bans sources" cargo deny check licenses bans sources
step "cargo deny check advisories" advisories
# A private OS keyring for the run: its own D-Bus session bus with GNOME
# Keyring's Secret Service on it, its files in a temporary directory. The
# keyring tests (sotto-store, and the desktop's profile-protection test)
# then run for real, and SOTTO_REQUIRE_KEYRING makes them fail rather than
# skip if it is not usable. The user's own keyring and bus are not touched.
KEYRING_HOME="$(mktemp -d)"
KEYRING_PIDS=()
stop_keyring() {
    local pid
    for pid in "${KEYRING_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$KEYRING_HOME"
}
trap stop_keyring EXIT
start_keyring() {
    mkdir -p "$KEYRING_HOME/data" "$KEYRING_HOME/run" && chmod 700 "$KEYRING_HOME/run" || return 1
    local bus
    bus="$(dbus-daemon --session --fork --print-address=1 --print-pid=1)" || return 1
    KEYRING_PIDS+=("$(sed -n 2p <<<"$bus")")
    export DBUS_SESSION_BUS_ADDRESS="$(sed -n 1p <<<"$bus")"
    export XDG_DATA_HOME="$KEYRING_HOME/data" XDG_RUNTIME_DIR="$KEYRING_HOME/run"
    # The keyring's own password only guards its files in the temp dir.
    printf 'sotto-test-keyring' |
        gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
    KEYRING_PIDS+=("$!")
    local tries
    for tries in $(seq 50); do
        dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
            grep -q "boolean true" && { export SOTTO_REQUIRE_KEYRING=1; return 0; }
        sleep 0.1
    done
    return 1
}
start_keyring || die "starting a private GNOME Keyring for the keyring tests"

step "cargo nextest run" cargo nextest run --workspace --no-fail-fast \
    --config-file "$ROOT/tests/nextest.toml"

# Every fuzz target briefly (20,000 inputs, at most 30 s each; the long runs
# are `tests/fuzz.sh` with no argument). Installs nightly and cargo-fuzz on
# first use; the workspace itself stays on stable.
step "fuzz targets, short (tests/fuzz.sh 20000)" \
    env FUZZ_FLAGS=-max_total_time=30 bash "$ROOT/tests/fuzz.sh" 20000

if [ "${#failed[@]}" -gt 0 ]; then
    printf '\n\033[1;31mFAILED steps:\033[0m\n' >&2
    printf '  - %s\n' "${failed[@]}" >&2
    exit 1
fi
say "All checks passed"
