"""A real SMTP server and a real HTTP webhook receiver, both on loopback."""

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Collects every message the SMTP server accepts; refuses the addresses in `refused`."""

    def __init__(self):
        self.messages = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content)
        self.messages.append(
            {
                "to": envelope.rcpt_tos,
                "subject": message["Subject"],
                "headers": message.items(),
                "body": message.get_payload(decode=True).decode(),
            }
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


@pytest.fixture
def smtp_server(app, monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_down(app, monkeypatch):
    """Point the app at a loopback port where nothing listens."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())


class Webhook:
    """Accepts alerts as JSON; answers `status`, or garbage that is not HTTP for an alert
    whose title contains `garbage_for`."""

    def __init__(self):
        self.posts = []
        self.status = 200
        self.garbage_for: str | None = None


@pytest.fixture
def webhook(app, monkeypatch):
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            if hook.garbage_for and hook.garbage_for in body["alert"]["title"]:
                self.wfile.write(b"this is not HTTP\r\n\r\n")
                self.close_connection = True
                return
            if hook.status == 200:
                hook.posts.append(body)
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(
        app.config, "ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook"
    )
    yield hook
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Receiver:
    """What a subscriber's server got: each request's headers and body bytes. It answers
    the statuses in `answers` in turn, then 200."""

    def __init__(self, url: str):
        self.url = url
        self.requests: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []


@pytest.fixture
def receiver():
    """A real HTTP server on loopback standing for another system's webhook endpoint."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.requests.append((dict(self.headers), body))
            self.send_response(got.answers.pop(0) if got.answers else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    got = Receiver(f"http://127.0.0.1:{server.server_port}/events")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
