#!/bin/bash
# Installs every Debian package berth's build, tests and benchmarks need.
# The one list, called by the README's commands and by .ci/run.
set -euo pipefail
packages=(
  # build
  gcc meson ninja-build pkg-config libjansson-dev libseccomp-dev libcap-dev
  # the engine: berthd's HTTP server, berth's client, the image store
  libmicrohttpd-dev libcurl4-openssl-dev libarchive-dev libssl-dev
  # networking: netlink (links, addresses, routes) and berth's nftables table
  libmnl-dev libnftables-dev
  # workload files (berth up) and CDI specs (berthd's GPUs and devices)
  libyaml-dev
  # unit tests, sanitizers, fuzzing
  libcmocka-dev clang libclang-rt-14-dev clang-format
  # integration tests and the busybox bundle
  bats busybox-static jq iproute2 util-linux procps
  # the nft command, to check berth's table from the tests (net-lib.bats);
  # clients of published ports (curl also talks to berthd's socket)
  nftables wget curl
  # hostile and broken image archives (tests/integration/image-fixtures.py)
  python3
  # the pure cgroup v2 lane: Debian's kernel under qemu (scripts/v2-lane.sh)
  qemu-system-x86 cpio xz-utils
  # the peers, measured side by side in bench/
  crun runc hyperfine time iperf3
  # the reference experiments (bench/sched, bench/sysbench, bench/vm) and plots
  sysbench gnuplot-nox
  # Docker's default seccomp profile, for bench/start-latency (bench/docker-seccomp.sh)
  golang-github-docker-docker-dev
  # the real engines on top of berth-runtime (private instances only) and checkpoint
  podman containerd umoci skopeo uidmap criu
  docker-registry # a private registry on 127.0.0.1 for berth pull (engine-pull.bats)
)
# the docker CLI, for the engine's compatibility tests: Debian's docker.io
# where the machine has none (its dockerd is never started; see policy-rc.d)
command -v docker >/dev/null || packages+=(docker.io)
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: run as root (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# containerd's package would start the system's containerd: forbid every
# service start while installing (the tests run private instances only).
rcd=/usr/sbin/policy-rc.d
own_rcd=0
if [ ! -e "$rcd" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$rcd" && chmod 755 "$rcd" && own_rcd=1
fi
trap '[ "$own_rcd" = 0 ] || rm -f "$rcd"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "deps.sh: ${#packages[@]} packages installed"
