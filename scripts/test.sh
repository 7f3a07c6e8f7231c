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
    tests/probe/*.c tests/fuzz/*.c src/engine-common/*.[ch] src/shim/*.[ch] src/daemon/*.[ch] \
    src/daemon/api/*.[ch] src/cli/*.[ch] src/init/*.c tests/nettool/*.c
  echo "clang-format: clean"
fi

echo "== build"
scripts/build.sh build

# The slow lanes, pure cgroup v2 in qemu guests (Debian's kernel,
# cgroup_no_v1=all): berth-runtime's own v2 tests (core) and podman and
# containerd on berth-runtime (engines). They run beside everything else and
# their verdicts are collected at the end; they start before the leak
# check's snapshot, so their processes are not leaks. The engine's own
# tests (berthd: berthd, berth-shim and berth from build/) follow engines:
# two guests at a time (core beside engines-then-berthd); three would
# starve the host's timing tests on two cores.
lanes="core engines berthd"
declare -A lane_pid lane_log
for lane in $lanes; do
  lane_log[$lane]=$(mktemp /tmp/berth-v2-$lane.XXXXXX)
done
# At the lowest priority: the host's timing tests (a CPU quota, shares)
# must not compete with the qemu guests for the CPUs. setsid makes each
# lane a session, and with sched_autogroup a session is a group that
# weighs as much as the tests' own whatever its tasks' nice: the lane sets
# its group's nice itself (/proc/self/autogroup), once it is a session.
lane_start() { # LANE [WAIT_PID]
  setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null || true
    while [ -n "$2" ] && kill -0 "$2" 2>/dev/null; do sleep 5; done
    exec nice -n 19 scripts/v2-lane.sh "$1"' _ "$1" "${2:-}" >"${lane_log[$1]}" 2>&1 &
  lane_pid[$1]=$!
}
lane_start core
lane_start engines
# berthd waits for engines (its own session, so stop_lanes ends both); on a
# busy CI host its guest needs more than the lane's default 1500 s
BERTH_V2_ENGINE_BUILD=$root/build BERTH_V2_TIMEOUT=2700 lane_start berthd "${lane_pid[engines]}"
# an early failure stops the lanes (each its own process group), qemu too
stop_lanes() {
  for lane in $lanes; do
    [ -z "${lane_pid[$lane]:-}" ] || kill -- -"${lane_pid[$lane]}" 2>/dev/null || true
    rm -f "${lane_log[$lane]}"
  done
  rm -f "${snap:-}" "${log:-}"
}
trap stop_lanes EXIT

echo "== unit tests"
meson test -C build --print-errorlogs

echo "== unit tests under ASan+UBSan"
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs

# fuzz TARGET CORPUS SECONDS MAX_LEN: one libFuzzer target (clang, ASan+UBSan)
fuzz() {
  local fuzzdir st=0
  ninja -C build-fuzz "tests/fuzz/$1" >/dev/null
  fuzzdir=$(mktemp -d /tmp/berth-fuzz.XXXXXX)
  cp "tests/fuzz/$2"/* "$fuzzdir"/
  "build-fuzz/tests/fuzz/$1" -max_total_time="$3" -max_len="$4" "$fuzzdir" \
    >"$fuzzdir.log" 2>&1 || st=$?
  grep -E '^Done|ERROR|SUMMARY' "$fuzzdir.log" || true
  [ "$st" = 0 ] || tail -40 "$fuzzdir.log"
  rm -rf "$fuzzdir" "$fuzzdir.log"
  [ "$st" = 0 ] || { echo "fuzzing $1 found a failure"; exit 1; }
}

echo "== fuzz the config parser (60 s), berthd's create bodies, events queries and image prune filters, tar layers, the CLI's HTTP responses (30 s), network create bodies and registry references and manifests (20 s), Dockerfiles and .dockerignore files and workload files (30 s), libFuzzer + ASan"
if command -v clang >/dev/null; then
  [ -f build-fuzz/build.ninja ] ||
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fuzz fuzz-config corpus-config 60 8192
  fuzz fuzz-api-body corpus-api-body 30 4096
  fuzz fuzz-tar corpus-tar 30 65536
  fuzz fuzz-http corpus-http 30 70000
  fuzz fuzz-events-query corpus-events-query 30 1024
  fuzz fuzz-prune-filters corpus-prune-filters 20 1024
  fuzz fuzz-net-body corpus-net-body 20 4096
  fuzz fuzz-registry corpus-registry 20 8192
  fuzz fuzz-dockerfile corpus-dockerfile 30 4096
  fuzz fuzz-wlfile corpus-wlfile 30 8192
fi

echo "== integration tests"
export BERTH_RUNTIME=$root/build/src/runtime/berth-runtime
# the engine (issue 13): tests/integration/engine*.bats, docker-cli*.bats
export BERTHD=$root/build/src/daemon/berthd
export BERTH=$root/build/src/cli/berth
export BERTH_SHIM=$root/build/src/shim/berth-shim
export BERTH_PROBE=$root/build/tests/probe/berth-probe
export BERTH_API=$root/build/tests/api/berth-api
snap=$(mktemp /tmp/berth-leak.XXXXXX)
scripts/leakcheck.sh snapshot "$snap"
# berth-runtime's default root: a test that forgets --root writes there
run_berth_before=$(ls -A /run/berth 2>/dev/null || true)
log=$(mktemp /tmp/berth-bats.XXXXXX)
rc=0
bats --timing tests/integration/ | tee "$log" || rc=$?
# the lanes end before the leak check, so none of their processes is caught
# mid-way
for lane in $lanes; do
  echo "== cgroup v2 lane: $lane (started after the build)"
  lrc=0
  wait "${lane_pid[$lane]}" || lrc=$?
  lane_pid[$lane]=
  cat "${lane_log[$lane]}"
  [ "$lrc" = 0 ] || rc=1
done
echo "== leak check"
scripts/leakcheck.sh compare "$snap" || rc=1
[ "$(ls -A /run/berth 2>/dev/null || true)" = "$run_berth_before" ] || {
  echo "leakcheck: /run/berth (berth-runtime's default root) changed:" \
    "$(ls -A /run/berth 2>/dev/null | tr '\n' ' ')" >&2
  rc=1
}
skipped=$(grep -c '^ok .* # skip' "$log" || true)
passed=$(($(grep -c '^ok ' "$log" || true) - skipped))
failed=$(grep -c '^not ok ' "$log" || true)
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$rc" = 0 ] || { echo "test.sh: FAILED"; exit 1; }
echo "test.sh: all tests passed"
