#!/usr/bin/python3
"""A registry front for engine-pull.bats and engine-push.bats: forwards
requests (GET, HEAD, POST, PUT, PATCH) to the private docker-registry on
127.0.0.1 behind an auth challenge, as Docker Hub does.

usage: registry-auth-proxy.py bearer|bearer-auth|basic|huge|drop|stall|slow UPSTREAM PORTFILE

bearer: a request without "Authorization: Bearer t0k" gets 401 with
  WWW-Authenticate: Bearer realm=".../token",service=...,scope=... (the
  scope's actions "pull" for GET and HEAD, else "pull,push"; none for
  /v2/); GET /token?service=berth-test[&scope=...] answers {"token": "t0k"}.
bearer-auth: the same, but /token wants Basic credentials USER:PASSWORD
  (the environment's PROXY_USER and PROXY_PASSWORD), else 401
  {"details": "incorrect username or password"}.
basic: every /v2/ request gets 401 with a Basic challenge.
huge: every manifest is 5 MiB (over berth's limit of 4 MiB).
drop, stall, slow (no auth; engine-pull-faults.bats): a blob GET without a
  Range gets half its bytes, then drop closes the connection (a GET with a
  Range is answered in full, and logged to PORTFILE.ranges), stall sends
  nothing more; slow sends every blob at 64 KiB/s.
The client's Host goes upstream, so that the registry's Locations name the
front. Binds 127.0.0.1 on a free port, written to PORTFILE."""
import base64
import time
import http.client
import http.server
import json
import os
import sys
import urllib.parse

MODE, UPSTREAM, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "t0k"
USER = os.environ.get("PROXY_USER", "tester")
PASSWORD = os.environ.get("PROXY_PASSWORD", "s3cret")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        length = None
        for k, v in headers:
            if k.lower() == "content-length":
                length = v
            else:
                self.send_header(k, v)
        self.send_header("Content-Length", length if length is not None else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scope = q.get("scope", ["repository:"])[0]
        if q.get("service") != ["berth-test"] or not scope.startswith("repository:"):
            return self.answer(400, b'{"details":"bad token request"}')
        if MODE == "bearer-auth":
            want = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.answer(401, b'{"details":"incorrect username or password"}',
                                   [("Content-Type", "application/json")])
        self.answer(200, json.dumps({"token": TOKEN}).encode(), [("Content-Type", "application/json")])

    def challenge(self):
        host = self.headers.get("Host")
        path = urllib.parse.urlparse(self.path).path
        repo = path.split("/v2/", 1)[-1]
        for cut in ("/manifests/", "/blobs/"):
            repo = repo.rsplit(cut, 1)[0]
        action = "pull" if self.command in ("GET", "HEAD") else "pull,push"
        if MODE == "basic":
            value = 'Basic realm="berth-test"'
        else:
            value = 'Bearer realm="http://%s/token",service="berth-test"' % host
            if path.rstrip("/") != "/v2":
                value += ',scope="repository:%s:%s"' % (repo, action)
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.answer(401, body, [("WWW-Authenticate", value), ("Content-Type", "application/json")])

    def fault(self):
        """drop, stall, slow: a blob's bytes as the mode says."""
        headers = {k: v for k, v in self.headers.items() if k.lower() == "accept"}
        headers["Host"] = self.headers.get("Host")
        rng = self.headers.get("Range")
        if rng:
            headers["Range"] = rng
            with open(PORTFILE + ".ranges", "a") as f:
                f.write("%s %s\n" % (self.path, rng))
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        conn.request(self.command, self.path, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        blob = self.command == "GET" and "/blobs/sha256:" in self.path and r.status in (200, 206)
        keep = ("content-type", "docker-content-digest", "content-range")
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in keep:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not blob or (MODE == "drop" and rng):
            self.wfile.write(data)
            return
        if MODE == "slow":
            for i in range(0, len(data), 8192):
                self.wfile.write(data[i:i + 8192])
                self.wfile.flush()
                time.sleep(0.125)
            return
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        if MODE == "stall":
            time.sleep(3600)
        self.close_connection = True

    def forward(self):
        if self.path.startswith("/token"):
            return self.token()
        if MODE in ("drop", "stall", "slow"):
            return self.fault()
        if MODE == "huge":
            body = b"{" + b" " * (5 << 20) + b"}"
            return self.answer(200, body, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
        if MODE == "basic" or self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.challenge()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")}
        headers["Host"] = self.headers.get("Host")
        if body is not None:
            headers["Content-Length"] = str(length)
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        keep = ("content-type", "docker-content-digest", "location", "range", "docker-upload-uuid")
        out = [(k, v) for k, v in r.getheaders() if k.lower() in keep]
        if self.command == "HEAD":
            out.append(("Content-Length", r.getheader("Content-Length", "0")))
        self.answer(r.status, data, out)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True  # a stalled answer does not keep the proxy alive
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
