# A receiver built from the AuthGate integration guide's FastAPI sample:
# verify_signature below is the guide's function, unchanged; the standard
# library's http.server stands in for FastAPI. WEBHOOK_SECRET comes from
# the environment instead of a literal. It prints its port once listening.
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import hmac, hashlib

WEBHOOK_SECRET = os.environ["WEBHOOK_SECRET"]

def verify_signature(body: bytes, signature: str) -> bool:
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), body, hashlib.sha256
    ).hexdigest()
    return f"sha256={expected}" == signature


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("x-authgate-signature", "")
        if not verify_signature(body, sig):
            self.send_response(401)
            self.end_headers()
            self.wfile.write(b'{"detail":"Invalid signature"}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"received":true}')

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
