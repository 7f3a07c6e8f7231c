#!/usr/bin/env bats
# berth's own HTTP client (src/cli/http.c) against a fake daemon: a python
# server on a UNIX socket in the test's temp dir that answers every request
# with a canned response and records what it was sent. A broken daemon
# gives one "cannot talk to the berth daemon" line and a non-zero exit;
# responses stream; upload bodies are framed as the size allows.

bats_require_minimum_version 1.5.0

setup() {
    [ -x "${BERTH:-}" ] || skip "BERTH must name the built berth CLI"
    command -v python3 >/dev/null || skip "needs python3"
    T=$(mktemp -d /tmp/berth-http.XXXXXX)
    SOCK=$T/fake.sock
    unset BERTH_HOST
    cat >"$T/fake.py" <<'EOF'
import socket, sys, time
path, resp, log = sys.argv[1:4]
answer = open(resp, 'rb').read()
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
def request(c):
    data = b''
    while b'\r\n\r\n' not in data:
        d = c.recv(65536)
        if not d:
            return data
        data += d
    head = data.split(b'\r\n\r\n')[0].lower()
    body = len(data) - len(head) - 4
    for line in head.split(b'\r\n'):
        if line.startswith(b'content-length:'):
            while body < int(line.split(b':')[1]):
                d = c.recv(65536)
                data += d
                body += len(d)
    while b'transfer-encoding: chunked' in head and not data.endswith(b'\r\n0\r\n\r\n'):
        data += c.recv(65536)
    return data
while True:
    c, _ = s.accept()
    try:
        data = request(c)
        if data:
            open(log, 'ab').write(data)
            for i, part in enumerate(answer.split(b'<PAUSE>')):
                if i:
                    time.sleep(60)
                c.sendall(part)
    except OSError:
        pass
    c.close()
EOF
}

teardown() {
    for p in ${BPID:-} ${PID:-}; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PID='' BPID=''
    rm -rf "${T:-/nonexistent}"
}

# fake RESPONSE: the fake daemon answers every request with the bytes
# (printf's escapes; <PAUSE> waits a minute there)
fake() {
    printf "$1" >"$T/resp"
    python3 "$T/fake.py" "$SOCK" "$T/resp" "$T/req" 3>&- &
    PID=$!
    for _ in $(seq 100); do
        [ -S "$SOCK" ] && return 0
        sleep 0.05
    done
    return 1
}

B() {
    "$BERTH" -H "unix://$SOCK" "$@"
}

VERSION='{"Platform":{"Name":"fake"},"Version":"9.9","ApiVersion":"1.41","MinAPIVersion":"1.12","KernelVersion":"6"}'

@test "a daemon answering garbage: cannot talk to the berth daemon, non-zero exit" {
    fake 'SSH-2.0-OpenSSH_9.2\r\n\r\n'
    run -1 B version
    [[ "$output" == *"berth: cannot talk to the berth daemon at unix://$SOCK: malformed status line in the response: 'SSH-2.0-OpenSSH_9.2'"* ]]
}

@test "a daemon closing mid-body, without a reply, with a bad chunk or header: one error line" {
    fake 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Version":'
    run -1 B version
    [[ "$output" == *"cannot talk to the berth daemon at unix://$SOCK: the connection closed with 89 of 100 body bytes missing"* ]]
    teardown
    setup
    fake ''
    run -1 B ps
    [ "$output" = "berth: cannot talk to the berth daemon at unix://$SOCK: the daemon closed the connection without a reply" ]
    teardown
    setup
    fake 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n'
    run -1 B ps
    [ "$output" = "berth: cannot talk to the berth daemon at unix://$SOCK: malformed chunk size (too large) in the response: 'fffffffffffffffffff'" ]
    teardown
    setup
    fake "HTTP/1.1 200 OK\r\n$(printf 'X-Pad: %04000d\\r\\n' $(seq 17))\r\n\r\n"
    run -1 B ps
    [ "$output" = "berth: cannot talk to the berth daemon at unix://$SOCK: the response's header block is over 65536 bytes" ]
}

@test "a chunked reply with extensions and trailers, 100 Continue first: berth version reads it" {
    len=$(printf '%x' ${#VERSION})
    fake "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n$len;x=y\r\n$VERSION\r\n0\r\nX-Trailer: 1\r\n\r\n"
    run -0 B version
    [[ "$output" == *"Server: fake"*"Version:     9.9"* ]]
    grep -q $'^GET /v1.41/version HTTP/1.1\r$' "$T/req"
    grep -q $'^Connection: close\r$' "$T/req"
}

@test "berth logs -f: frames appear as they arrive, not at the end" {
    fake 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x06first\n<PAUSE>\x01\x00\x00\x00\x00\x00\x00\x07second\n'
    B logs -f c1 >"$T/out" 2>&1 3>&- &
    BPID=$!
    for _ in $(seq 100); do
        grep -q first "$T/out" && break
        sleep 0.05
    done
    [ "$(cat "$T/out")" = first ]
    kill -0 "$BPID" # still streaming
}

@test "berth load: chunked from a pipe, Content-Length from a file, the progress bar" {
    fake 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"stream":"Loaded image: x:1\\n"}\n'
    head -c 200000 /dev/urandom >"$T/archive.tar"
    run -0 B load -q -i "$T/archive.tar"
    [ "$output" = "Loaded image: x:1" ]
    grep -q $'^Content-Length: 200000\r$' "$T/req"
    grep -q $'^Content-Type: application/x-tar\r$' "$T/req"
    rm "$T/req"
    run -0 B load -q < <(cat "$T/archive.tar")
    [ "$output" = "Loaded image: x:1" ]
    grep -q $'^Transfer-Encoding: chunked\r$' "$T/req"
    # the body the fake daemon got, de-chunked, is the archive
    python3 - "$T/req" "$T/archive.tar" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read().split(b'\r\n\r\n', 1)[1]
body = b''
while True:
    size, data = data.split(b'\r\n', 1)
    n = int(size, 16)
    if n == 0:
        break
    body, data = body + data[:n], data[n + 2:]
assert body == open(sys.argv[2], 'rb').read(), "the body differs"
EOF
    run -0 script -qec "$BERTH -H unix://$SOCK load -i $T/archive.tar" /dev/null
    [[ "$output" == *"Loading archive  0.2MB"* ]]
}

@test "berth save: an error reply is printed, the file not created" {
    fake 'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 33\r\n\r\n{"message":"no such image: nope"}'
    run -1 B save -o "$T/out.tar" nope
    [ "$output" = "berth: no such image: nope" ]
    [ ! -e "$T/out.tar" ] && [ ! -e "$T/out.tar.berth-tmp" ]
    grep -q $'^GET /v1.41/images/get?names=nope HTTP/1.1\r$' "$T/req"
}
