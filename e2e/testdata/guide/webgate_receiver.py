# A receiver written for the webgate dispatcher's webhooks: it verifies
# X-Webgate-Signature (sha256=<hex HMAC-SHA256 of the raw body>) with
# hmac.compare_digest, as webgate's documentation asks, and prints
# "<event> <data.user>" for each verified delivery. It prints its port
# first. WEBHOOK_SECRET comes from the environment.
import hashlib
import hmac
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["WEBHOOK_SECRET"].encode()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Webgate-Signature", "")):
            self.send_response(401)
            self.end_headers()
            print("refused", flush=True)
            return
        payload = json.loads(body)
        print(payload["event"], payload["data"]["user"], self.headers.get("User-Agent"), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
