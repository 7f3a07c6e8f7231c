#!/usr/bin/python3
"""bench/net-echo.py: bench/net's request/response probe, 64-byte messages.

  net-echo.py serve ADDR PORT     echoes every connection, one at a time,
                                  no fork per connection (unlike busybox
                                  httpd or nc, whose fork costs ms here and
                                  would drown the network path)
  net-echo.py conn HOST PORT N    N requests, a new TCP connection each
                                  (connect, request, response, close)
  net-echo.py rr HOST PORT N      N requests on one open connection

The clients wait up to 5 s for the server to listen, make 5 warm-up
requests, then print the wall time of each request in microseconds, one a
line.
"""
import socket
import sys
import time

MSG = b"x" * 64


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    c.sendall(d)
            except OSError:
                pass


def connect(host, port):
    c = socket.create_connection((host, port), timeout=5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def exchange(c):
    c.sendall(MSG)
    got = 0
    while got < len(MSG):
        d = c.recv(4096)
        if not d:
            raise ConnectionError("the server closed the connection early")
        got += len(d)


def wait_listening(host, port):
    deadline = time.monotonic() + 5
    while True:
        try:
            connect(host, port).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def conn(host, port, n):
    for i in range(n + 5):
        t0 = time.perf_counter_ns()
        with connect(host, port) as c:
            exchange(c)
        t1 = time.perf_counter_ns()
        if i >= 5:
            print((t1 - t0) // 1000)


def rr(host, port, n):
    with connect(host, port) as c:
        for i in range(n + 5):
            t0 = time.perf_counter_ns()
            exchange(c)
            t1 = time.perf_counter_ns()
            if i >= 5:
                print((t1 - t0) // 1000)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] in ("conn", "rr"):
        host, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        wait_listening(host, port)
        (conn if sys.argv[1] == "conn" else rr)(host, port, n)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
