#!/usr/bin/env python3
"""A verifying proxy: checks every request's signature with Alibaba's *official* SDK code, then forwards it.

Our client signs with our own Rust code and the emulator verifies with the same crate, so a shared
canonicalisation bug could make both agree on a wrong signature. This proxy sits between dlcauth and the
emulator and recomputes each signature with `alibabacloud_tea_openapi.utils` — the functions the official
Python SDK signs with (`Utils.get_rpcsignature` for RPC V1, `Utils.get_authorization` for ACS3-HMAC-SHA256).
A request whose signature the SDK code does not reproduce is answered `SignatureDoesNotMatch` and never
reaches the emulator.

It knows the secrets of the keys given with --keys (JSON object {AccessKeyId: AccessKeySecret}) and learns
the temporary keys STS hands out by reading AssumeRole responses as they pass through.

Usage: official_verifier.py --upstream http://127.0.0.1:PORT --keys FILE
Prints `official-verifier listening on http://127.0.0.1:PORT` once ready. `GET /__verifier/stats` returns
{"v1": n, "v3": n, "rejected": n, "unverifiable": n}.
"""

import argparse
import hashlib
import http.client
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from alibabacloud_tea_openapi.utils import Utils

ACS3 = "ACS3-HMAC-SHA256"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class State:
    def __init__(self, upstream, secrets):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.secrets = dict(secrets)
        self.stats = {"v1": 0, "v3": 0, "rejected": 0, "unverifiable": 0}
        self.lock = threading.Lock()

    def secret(self, key_id):
        with self.lock:
            return self.secrets.get(key_id)

    def count(self, what):
        with self.lock:
            self.stats[what] += 1

    def learn(self, body):
        try:
            creds = json.loads(body).get("Credentials") or {}
        except (ValueError, AttributeError):
            return
        if creds.get("AccessKeyId") and creds.get("AccessKeySecret"):
            with self.lock:
                self.secrets[creds["AccessKeyId"]] = creds["AccessKeySecret"]


def verify_v3(method, raw_path, query, headers, body, state):
    """Returns None when the SDK reproduces the Authorization header, else the reason."""
    auth = headers.get("authorization", "")
    fields = {}
    for part in auth[len(ACS3) + 1 :].split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value
    secret = state.secret(fields.get("Credential", ""))
    if secret is None:
        return "unknown AccessKeyId " + fields.get("Credential", "")
    payload = headers.get("x-acs-content-sha256", "")
    if payload != hashlib.sha256(body).hexdigest():
        return "x-acs-content-sha256 does not match the body"
    signed = {name: headers.get(name) for name in fields.get("SignedHeaders", "").split(";")}
    if any(v is None for v in signed.values()):
        return "a signed header is missing"
    request = SimpleNamespace(method=method, pathname=raw_path, query=query, headers=signed)
    expected = Utils.get_authorization(request, ACS3, payload, fields["Credential"], secret)
    return None if expected == auth else "signature differs from the official SDK's"


def verify_v1(method, params, state):
    secret = state.secret(params.get("AccessKeyId", ""))
    if secret is None:
        return "unknown AccessKeyId " + params.get("AccessKeyId", "")
    signed = {k: v for k, v in params.items() if k != "Signature"}
    expected = Utils.get_rpcsignature(signed, method, secret)
    return None if expected == params.get("Signature") else "signature differs from the official SDK's"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, fmt, *args):  # keep stderr for failures only
        pass

    def reply(self, status, payload, extra_headers=()):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in extra_headers:
            self.send_header(k, v)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path == "/__verifier/stats":
            with self.state.lock:
                return self.reply(200, dict(self.state.stats))
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        if headers.get("authorization", "").startswith(ACS3 + " "):
            style, problem = "v3", verify_v3(self.command, raw_path, query, headers, body, self.state)
        else:
            params = dict(query)
            if "application/x-www-form-urlencoded" in headers.get("content-type", ""):
                params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            if "Signature" not in params:
                self.state.count("unverifiable")
                return self.reply(400, {"Code": "IncompleteSignature", "Message": "no signature the verifier knows"})
            style, problem = "v1", verify_v1(self.command, params, self.state)
        if problem is not None:
            self.state.count("rejected")
            sys.stderr.write(f"official-verifier: {style} {self.command} {raw_path} rejected: {problem}\n")
            return self.reply(400, {"Code": "SignatureDoesNotMatch", "Message": "official SDK: " + problem})
        self.state.count(style)
        self.forward(body, headers)

    def forward(self, body, headers):
        up = self.state.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        try:
            # The Host header is signed (V3), so the emulator must see the one the client sent.
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            if b"AccessKeySecret" in data:
                self.state.learn(data)
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--keys", required=True, help="JSON file {AccessKeyId: AccessKeySecret}")
    parser.add_argument("--listen", default="127.0.0.1:0")
    args = parser.parse_args()
    with open(args.keys, encoding="utf-8") as f:
        secrets = json.load(f)
    host, _, port = args.listen.rpartition(":")
    Handler.state = State(args.upstream, secrets)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    print(f"official-verifier listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
