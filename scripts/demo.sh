#!/bin/bash
# Builds berth and runs one container from a busybox bundle made from the
# host's busybox-static: the README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build
export BERTH_RUNTIME=$PWD/build/src/runtime/berth-runtime
export BERTH_PROBE=$PWD/build/tests/probe/berth-probe
bundle=$PWD/demo/bundle
rm -rf "$bundle"
scripts/mkbundle.sh "$bundle" /bin/sh -c \
  'echo "hello from $(hostname), pid $$"; echo "processes:"; ps; echo "mounts: $(wc -l < /proc/self/mounts)"; cat /proc/self/cgroup | head -3'
state=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$state"' EXIT
"$BERTH_RUNTIME" --root "$state" run --bundle "$bundle" "demo-$$"
echo "demo: exit status $?"
