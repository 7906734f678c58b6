"""A real webhook receiver for the API tests: an HTTP server on 127.0.0.1 (a thread) that records
every request and verifies Standard Webhooks signatures (docs/internals/webhooks.md, "Signing").

    rx = Receiver()                 # rx.url is http://127.0.0.1:<port>/hook
    rx.mode = "503"                 # "up" (204), "503", or "drop" (close without an answer)
    rx.secrets[endpoint_id] = "whsec_..."   # or rx.secret = "whsec_..." for every request
    rx.events()                     # the accepted (2xx) deliveries: parsed bodies, in arrival order
    rx.close()
"""
import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLAY_WINDOW_S = 300


def verify(secret, headers, body):
    """True when the webhook-signature header holds a v1 signature of id.timestamp.body under the
    whsec_ secret and the timestamp is within the replay window."""
    assert secret.startswith("whsec_"), secret
    key = base64.b64decode(secret[len("whsec_"):])
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sig = headers.get("webhook-signature")
    if not (msg_id and ts and sig):
        return False
    if abs(time.time() - int(ts)) > REPLAY_WINDOW_S:
        return False
    want = base64.b64encode(hmac.new(key, ("%s.%s." % (msg_id, ts)).encode() + body,
                                     hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(part.split(",", 1)[1], want)
               for part in sig.split() if part.startswith("v1,"))


def wait(pred, timeout, what):
    """pred()'s first truthy value, polled every 0.1 s; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


class Receiver:
    def __init__(self):
        self.mode = "up"
        self.secret = None
        self.requests = []   # every request: {"headers", "body", "answered", "valid"}
        self.lock = threading.Lock()
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                mode = rx.mode
                valid = rx.secret is not None and verify(rx.secret, headers, body)
                with rx.lock:
                    rx.requests.append({"headers": headers, "body": body, "answered": mode,
                                        "valid": valid})
                if mode == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                status = 204 if mode == "up" else 503
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self):
        with self.lock:
            return [r for r in self.requests if r["answered"] == "up"]

    def events(self):
        return [json.loads(r["body"]) for r in self.accepted()]

    def wait_for(self, pred, timeout=30.0):
        """Wait until pred(events) is true; returns the events."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.events()
            if pred(ev) or time.monotonic() > deadline:
                return ev
            time.sleep(0.05)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
