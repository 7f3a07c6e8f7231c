#!/bin/bash
# docker-seccomp.sh [PROFILE]: print on stdout the OCI linux.seccomp object that
# dockerd generates from Docker's default seccomp profile for a container with
# Docker's default capabilities on this host's architecture and kernel, so the
# start-latency benchmark can run every runtime under the profile users run.
#
# PROFILE is in Docker's own format (archMap, syscalls[] with includes/excludes
# filters); the default is the copy shipped by Debian's
# golang-github-docker-docker-dev. The filtering follows setupSeccomp() in
# profiles/seccomp/seccomp_linux.go of that package: an entry is kept when all
# its includes.caps are in the set, its includes.arches has the host arch, the
# kernel is >= includes.minKernel, and none of excludes.caps/arches match
# (nor is the kernel >= excludes.minKernel). Needs jq only.
set -euo pipefail

profile=${1:-/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json}
[ -f "$profile" ] || {
    echo "docker-seccomp.sh: '$profile' not found (install golang-github-docker-docker-dev)" >&2
    exit 1
}

# uname -m -> Docker's native arch name (includes/excludes.arches) and archMap key.
case $(uname -m) in
x86_64) arch=amd64 scmp=SCMP_ARCH_X86_64 ;;
aarch64) arch=arm64 scmp=SCMP_ARCH_AARCH64 ;;
*) echo "docker-seccomp.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD",
"CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP",
"CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# Docker compares "kernel.major" only: 6.18.44-foo is 6.18.
jq --arg arch "$arch" --arg scmp "$scmp" --arg kernel "$(uname -r)" --argjson caps "$caps" '
  def ver: [scan("^[0-9]+\\.[0-9]+") | split(".")[] | tonumber];
  def kernel_ge($v): ($kernel | ver) >= ($v | ver);
  if (.architectures // []) != [] and (.archMap // []) != [] then
    error("profile has both architectures and archMap") else . end
  | {defaultAction}
  + (if .defaultErrnoRet != null then {defaultErrnoRet} else {} end)
  + {architectures: ((.architectures // []) + ([.archMap[]? | select(.architecture == $scmp)
                                               | [.architecture] + (.subArchitectures // [])][0] // []))}
  + {syscalls: [.syscalls[]
      | select(((.includes.caps // []) - $caps) == []
               and (.includes.arches // [] | length == 0 or any(. == $arch))
               and (.includes.minKernel // "" | . == "" or kernel_ge(.))
               and (.excludes.caps // [] | all(IN($caps[]) | not))
               and (.excludes.arches // [] | all(. != $arch))
               and (.excludes.minKernel // "" | . == "" or (kernel_ge(.) | not)))
      | {names: (.names // [.name]), action}
      + (if (.args // []) != [] then {args} else {} end)
      + (if .errnoRet != null then {errnoRet} else {} end)]}
' "$profile"
