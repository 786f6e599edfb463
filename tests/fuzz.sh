#!/usr/bin/env bash
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at http://mozilla.org/MPL/2.0/.
#
# Runs every cargo-fuzz target in fuzz/ for RUNS executions each (default
# 1000000) and prints target / executions / crashes / seconds. Exits non-zero
# when any target crashed (panic, overflow, timeout, out of memory); the
# input is left in fuzz/artifacts/<target>/.
#
#   tests/fuzz.sh [RUNS] [TARGET...]
#
# Installs the nightly toolchain and cargo-fuzz when they are missing (the
# workspace itself stays on stable). Seeds come from fuzz/corpus/<target>
# and are only read; what the fuzzer finds goes to a temporary directory.
# Builds go to $CARGO_TARGET_DIR/fuzz when CARGO_TARGET_DIR is set, else to
# fuzz/target. Dictionaries: fuzz/dict/. Extra libFuzzer flags: FUZZ_FLAGS (e.g. "-max_total_time=60").
set -euo pipefail

runs="${1:-1000000}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz_dir="$root/fuzz"
target_dir="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}"
target_dir="${target_dir:-$fuzz_dir/target}"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$fuzz_dir"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    # Only fuzz_targets/ (the crate also has the `seeds` program).
    mapfile -t targets < <(cargo +nightly fuzz list | while read -r t; do
        [ -f "fuzz_targets/$t.rs" ] && echo "$t"
    done)
fi

# -a: debug assertions, so integer overflow panics as it does in tests.
build=(--target-dir "$target_dir" -a)
cargo +nightly fuzz build "${build[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
printf '%-18s %12s %8s %8s\n' target executions crashes seconds
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "corpus/$t"
    start=$(date +%s%N)
    status=0
    dict=()
    case "$t" in
        otr_message | otr_fragments | otr_conversation) dict=(-dict=dict/otr.dict) ;;
        *) [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict") ;;
    esac
    # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
    cargo +nightly fuzz run "${build[@]}" "$t" "$work/$t" "corpus/$t" -- \
        -runs="$runs" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        "${dict[@]}" ${FUZZ_FLAGS:-} >"$work/$t.log" 2>&1 || status=$?
    end=$(date +%s%N)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' | tail -1 || true)
    if [ -z "$execs" ]; then
        execs=$(grep -oE '^#[0-9]+' "$work/$t.log" | tail -1 | tr -d '#' || true)
    fi
    crashes=0
    if [ "$status" -ne 0 ]; then
        crashes=1
        failed=1
        grep -E 'panicked|ERROR: libFuzzer|Test unit written' "$work/$t.log" | sed "s/^/  $t: /" >&2 || true
    fi
    ms=$(((end - start) / 1000000))
    printf '%-18s %12s %8s %5d.%01d\n' "$t" "${execs:-?}" "$crashes" $((ms / 1000)) $((ms % 1000 / 100))
done
exit "$failed"
