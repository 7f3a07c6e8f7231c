#!/bin/bash
# Builds berth and runs every test: unit tests (plain and under ASan+UBSan),
# the integration suite against the real kernel, and the leak check around
# it. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "== format check (.clang-format)"
if command -v clang-format >/dev/null; then
  clang-format --dry-run --Werror src/lib/*.[ch] src/runtime/*.[ch] tests/unit/*.c tests/api/*.c \
    tests/probe/*.c tests/fuzz/*.c
  echo "clang-format: clean"
fi

echo "== build"
scripts/build.sh build
echo "== unit tests"
meson test -C build --print-errorlogs

echo "== unit tests under ASan+UBSan"
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs

echo "== fuzz the config parser (60 s, libFuzzer + ASan)"
if command -v clang >/dev/null; then
  [ -f build-fuzz/build.ninja ] ||
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  ninja -C build-fuzz tests/fuzz/fuzz-config >/dev/null
  fuzzdir=$(mktemp -d /tmp/berth-fuzz.XXXXXX)
  cp tests/fuzz/corpus-config/* "$fuzzdir"/
  st=0
  build-fuzz/tests/fuzz/fuzz-config -max_total_time=60 -max_len=8192 "$fuzzdir" \
    >"$fuzzdir.log" 2>&1 || st=$?
  grep -E '^Done|ERROR|SUMMARY' "$fuzzdir.log" || true
  [ "$st" = 0 ] || tail -40 "$fuzzdir.log"
  rm -rf "$fuzzdir" "$fuzzdir.log"
  [ "$st" = 0 ] || { echo "fuzzing found a failure"; exit 1; }
fi

echo "== cgroup v2 lane (Debian's kernel under qemu, cgroup_no_v1=all)"
scripts/v2-lane.sh

echo "== integration tests"
export BERTH_RUNTIME=$root/build/src/runtime/berth-runtime
export BERTH_PROBE=$root/build/tests/probe/berth-probe
export BERTH_API=$root/build/tests/api/berth-api
snap=$(mktemp /tmp/berth-leak.XXXXXX)
scripts/leakcheck.sh snapshot "$snap"
log=$(mktemp /tmp/berth-bats.XXXXXX)
trap 'rm -f "$snap" "$log"' EXIT
rc=0
bats --timing tests/integration/ | tee "$log" || rc=$?
echo "== leak check"
scripts/leakcheck.sh compare "$snap" || rc=1
skipped=$(grep -c '^ok .* # skip' "$log" || true)
passed=$(($(grep -c '^ok ' "$log" || true) - skipped))
failed=$(grep -c '^not ok ' "$log" || true)
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$rc" = 0 ] || { echo "test.sh: FAILED"; exit 1; }
echo "test.sh: all tests passed"
