"""Real local servers for notification tests: an HTTP webhook receiver and a tiny SMTP sink."""
from __future__ import annotations

import http.server
import json
import socketserver
import threading


class WebhookServer:
    """POSTs land in ``received``; ``status`` is what it answers (500 to simulate an outage)."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.body = b'{"errcode": 0, "errmsg": "ok"}'
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"path": self.path, "json": json.loads(data.decode("utf-8")),
                                       "content_type": self.headers.get("Content-Type")})
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SMTPSink:
    """Speaks just enough SMTP for smtplib; delivered messages land in ``messages``."""

    def __init__(self):
        self.messages: list[dict] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                def say(line):
                    self.wfile.write(line.encode() + b"\r\n")

                say("220 sink ESMTP")
                mail = {"rcpt": []}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").strip()
                    upper = cmd.upper()
                    if upper.startswith(("EHLO", "HELO")):
                        say("250-sink")
                        say("250 8BITMIME")
                    elif upper.startswith("MAIL FROM"):
                        mail = {"from": cmd[10:].strip(), "rcpt": []}
                        say("250 OK")
                    elif upper.startswith("RCPT TO"):
                        mail["rcpt"].append(cmd[8:].strip().strip("<>"))
                        say("250 OK")
                    elif upper == "DATA":
                        say("354 go ahead")
                        chunks = []
                        while True:
                            data = self.rfile.readline()
                            if data in (b".\r\n", b".\n", b""):
                                break
                            chunks.append(data)
                        mail["data"] = b"".join(chunks).decode("utf-8", "replace")
                        outer.messages.append(mail)
                        say("250 queued")
                    elif upper == "QUIT":
                        say("221 bye")
                        return
                    else:
                        say("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
