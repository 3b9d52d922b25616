"""A webhook receiver for authgate that verifies both signature schemes on
the raw body, refuses stale deliveries, and processes each webhook-id once.
During a secret rotation, WEBHOOK_PREVIOUS_SECRET holds the old secret: a
signature by either secret is accepted. Python's standard library only.

    WEBHOOK_SECRET=whsec_... PORT=9000 python3 receiver.py
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if not os.environ.get("WEBHOOK_SECRET"):
    sys.exit("set WEBHOOK_SECRET to the webhook secret")
# The current secret, then the previous one during a rotation.
SECRETS = [s for s in (os.environ.get("WEBHOOK_SECRET"), os.environ.get("WEBHOOK_PREVIOUS_SECRET")) if s]
# Standard Webhooks key: the base64 after "whsec_", else the secret itself.
STD_KEYS = [base64.b64decode(s[6:]) if s.startswith("whsec_") else s.encode() for s in SECRETS]
TOLERANCE_S = 5 * 60
seen = {}  # webhook-id -> first seen (unix seconds)
seen_lock = threading.Lock()


def verify_hex(body: bytes, header: str) -> bool:
    """X-Authgate-Signature: "sha256=" + hex HMAC-SHA256 of the raw body."""
    ok = False
    for secret in SECRETS:
        mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(f"sha256={mac}".encode(), header.encode("utf-8", "replace")):
            ok = True
    return ok


def verify_standard(body: bytes, msg_id: str, ts: str, sigs: str) -> bool:
    """webhook-signature: space-separated "v1,<base64>" over id.timestamp.body."""
    if not msg_id or not ts.isdigit():
        return False
    if abs(time.time() - int(ts)) > TOLERANCE_S:
        return False
    signed = f"{msg_id}.{ts}.".encode() + body
    ok = False
    for key in STD_KEYS:
        mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for entry in sigs.split(" "):
            version, _, sig = entry.partition(",")
            if version == "v1" and hmac.compare_digest(mac.encode(), sig.encode("utf-8", "replace")):
                ok = True
    return ok


def first_time(msg_id: str) -> bool:
    now = time.time()
    with seen_lock:
        for k in [k for k, t in seen.items() if now - t > 2 * TOLERANCE_S]:
            del seen[k]
        if msg_id in seen:
            return False
        seen[msg_id] = now
        return True


class Handler(BaseHTTPRequestHandler):
    def reply(self, status: int, obj: dict) -> None:
        out = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        h = self.headers
        msg_id = h.get("webhook-id", "")
        if not (verify_hex(body, h.get("X-Authgate-Signature", ""))
                and verify_standard(body, msg_id, h.get("webhook-timestamp", ""),
                                    h.get("webhook-signature", ""))):
            return self.reply(401, {"error": "invalid signature"})
        if not first_time(msg_id):
            return self.reply(200, {"received": True, "duplicate": True})
        try:
            evt = json.loads(body)
        except ValueError:
            return self.reply(400, {"error": "bad json"})
        print(f"event {evt.get('event')} {evt.get('id')}", file=sys.stderr)
        return self.reply(200, {"received": True})

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9000"))), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
