#!/usr/bin/python3
"""A registry front for engine-pull.bats: forwards GETs to the private
docker-registry on 127.0.0.1 behind an auth challenge, as Docker Hub does.

usage: registry-auth-proxy.py bearer|basic|huge UPSTREAM(host:port) PORTFILE

bearer: a request without "Authorization: Bearer t0k" gets 401 with
  WWW-Authenticate: Bearer realm=".../token",service=...,scope=...; GET
  /token?service=berth-test&scope=... answers {"token": "t0k"}.
basic: every /v2/ request gets 401 with a Basic challenge.
huge: every manifest is 5 MiB (over berth's limit of 4 MiB).
Binds 127.0.0.1 on a free port, written to PORTFILE."""
import http.client
import http.server
import json
import os
import sys
import urllib.parse

MODE, UPSTREAM, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "t0k"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if q.get("service") != ["berth-test"] or not q.get("scope", [""])[0].startswith("repository:"):
            return self.answer(400, b'{"details":"bad token request"}')
        self.answer(200, json.dumps({"token": TOKEN}).encode(), [("Content-Type", "application/json")])

    def challenge(self):
        host = self.headers.get("Host")
        repo = self.path.split("/v2/", 1)[-1].rsplit("/manifests/", 1)[0].rsplit("/blobs/", 1)[0]
        if MODE == "basic":
            value = 'Basic realm="berth-test"'
        else:
            value = 'Bearer realm="http://%s/token",service="berth-test",scope="repository:%s:pull"' % (host, repo)
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.answer(401, body, [("WWW-Authenticate", value), ("Content-Type", "application/json")])

    def do_GET(self):
        if self.path.startswith("/token"):
            return self.token()
        if MODE == "huge":
            body = b"{" + b" " * (5 << 20) + b"}"
            return self.answer(200, body, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
        if MODE == "basic" or self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.challenge()
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() == "accept"}
        conn.request("GET", self.path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        keep = ("content-type", "docker-content-digest", "location")
        self.answer(r.status, body, [(k, v) for k, v in r.getheaders() if k.lower() in keep])
        conn.close()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
