"""Local receivers of notifications on 127.0.0.1: a minimal SMTP server and a webhook.

Each keeps what it received (``messages``: the e-mails as parsed messages, the webhook's
JSON bodies) and runs in a thread of the test process until ``close``.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import socketserver
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class _SmtpSession(socketserver.StreamRequestHandler):
    """The SMTP commands smtplib sends for one message (RFC 5321, no extensions)."""

    server: SmtpReceiver

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        while raw := self.rfile.readline():
            command = raw.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 localhost")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                data = b"".join(lines)
                self.server.received(email.message_from_bytes(data, policy=email.policy.default))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _Receiver:
    """A server on a free port of 127.0.0.1, served from a thread; a context manager."""

    server: socketserver.BaseServer

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self, message: Any) -> None:
        with self.lock:
            self.messages.append(message)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class SmtpReceiver(_Receiver, socketserver.ThreadingTCPServer):
    """``smtp://127.0.0.1:<port>``; ``messages`` are ``email.message.EmailMessage``s."""

    daemon_threads = True
    allow_reuse_address = True
    messages: list[EmailMessage]

    def __init__(self) -> None:
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _SmtpSession)
        self.server = self
        _Receiver.__init__(self)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class _WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver(_Receiver, ThreadingHTTPServer):
    """``http://127.0.0.1:<port>/hook``; ``messages`` are the posted JSON bodies."""

    daemon_threads = True

    def __init__(self) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _WebhookHandler)
        self.server = self
        _Receiver.__init__(self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"
