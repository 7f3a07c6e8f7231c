#!/bin/bash
# Builds berth and runs one container from the embedded busybox image (made
# from the host's busybox-static, no registry): the README's first command.
# As with Docker, the container runs under berthd: the berth CLI starts one
# on the default socket (/run/berth/berth.sock, data under /var/lib/berth)
# when none answers, and it keeps running for the next command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build
build/src/cli/berth run --rm busybox sh -c \
  'echo "hello from $(hostname), pid $$"; echo "processes:"; ps; echo "mounts: $(wc -l < /proc/self/mounts)"; head -3 /proc/self/cgroup'
echo "demo: exit status $?; berthd keeps serving /run/berth/berth.sock, as dockerd would"
