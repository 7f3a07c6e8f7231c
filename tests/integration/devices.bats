#!/usr/bin/env bats
# /dev: the default devices every container gets and the ones configured in
# linux.devices (the device cgroup rules are in cgroups.bats).

load helpers

# Prints "PATH TYPE MAJOR:MINOR" (decimal) for each path, inside the container.
DEVLIST='for d in "$@"; do
    set -- $(stat -L -c "%F %t %T" "$d") || continue
    printf "%s %s %d:%d\n" "$d" "$1$2" 0x$(eval echo \${$(($# - 1))}) 0x$(eval echo \${$#})
done'

@test "the default devices exist with their numbers" {
    set_args /bin/sh -c "$DEVLIST" sh /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
    run -0 ctr_run
    assert_eq "$output" "/dev/null characterspecial 1:3
/dev/zero characterspecial 1:5
/dev/full characterspecial 1:7
/dev/random characterspecial 1:8
/dev/urandom characterspecial 1:9
/dev/tty characterspecial 5:0"
}

@test "the default devices work" {
    set_cmd 'echo x > /dev/null && echo null-ok
             test "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 && echo zero-ok
             echo x 2>/dev/null > /dev/full || echo full-ok
             test "$(head -c 16 /dev/urandom | wc -c)" = 16 && echo urandom-ok
             test "$(head -c 16 /dev/random | wc -c)" = 16 && echo random-ok'
    run -0 ctr_run
    assert_eq "$(echo $output)" "null-ok zero-ok full-ok urandom-ok random-ok"
}

@test "/dev/ptmx and /dev/pts give a private pty" {
    set_cmd 'test -d /dev/pts && echo pts-dir
             test -c /dev/ptmx -o -L /dev/ptmx && echo ptmx
             berth-probe open-write /dev/ptmx'
    run -0 ctr_run
    assert_eq "$(echo $output)" "pts-dir ptmx ok"
}

@test "/dev/fd and the stdio links point to /proc/self/fd" {
    set_cmd 'for l in /dev/fd /dev/stdin /dev/stdout /dev/stderr; do readlink $l; done'
    run -0 ctr_run
    assert_eq "$(echo $output)" "/proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2"
}

@test "/dev holds no host device beyond the defaults" {
    set_cmd 'ls /dev | sort | tr "\n" " "'
    run -0 ctr_run
    local d
    for d in $output; do
        case $d in
        null | zero | full | random | urandom | tty | ptmx | pts | shm | mqueue | fd | \
            stdin | stdout | stderr | console | core) ;;
        *)
            echo "unexpected /dev/$d" >&2
            return 1
            ;;
        esac
    done
}

@test "linux.devices creates a char device with its number, mode and owner" {
    update_config '.linux.devices = [{path: "/dev/berth-null", type: "c", major: 1, minor: 3,
                                      fileMode: 438, uid: 1000, gid: 1001},
                                     {path: "/dev/berth-dir/sub/zero", type: "c", major: 1, minor: 5}]'
    update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
        {allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
    set_cmd "$DEVLIST"'
             stat -c "%a %u:%g" /dev/berth-null; echo hi > /dev/berth-null && echo written'
    update_config '.process.args += ["sh", "/dev/berth-null", "/dev/berth-dir/sub/zero"]'
    run -0 ctr_run
    assert_eq "${lines[0]}" "/dev/berth-null characterspecial 1:3"
    assert_eq "${lines[1]}" "/dev/berth-dir/sub/zero characterspecial 1:5"
    assert_eq "${lines[2]}" "666 1000:1001"
    assert_eq "${lines[3]}" written
}

@test "linux.devices creates a block device" {
    update_config '.linux.devices = [{path: "/dev/berth-blk", type: "b", major: 7, minor: 0}]'
    set_args /bin/sh -c "$DEVLIST" sh /dev/berth-blk
    run -0 ctr_run
    assert_eq "$output" "/dev/berth-blk blockspecial 7:0"
}
