"""A local fake of an outside HTTP API for contract tests: real HTTP on 127.0.0.1, scripted answers, every request kept.

    with FakeHTTPService() as fake:
        fake.answer("POST", "/parcel/de/shipping/returns/v1/orders", 201, json=EXAMPLE_RESPONSE)
        fake.answer("POST", "/parcel/de/shipping/returns/v1/orders", 429, headers={"Retry-After": "2"}, times=1)
        adapter = build(base_url=fake.url)
        ...
        assert fake.requests[0].json()["receiverId"] == "deu"

Answers for the same method and path are used in the order given; one with `times` is used that often and then
skipped; the last one stays. A path without an answer gets 404 with a problem+json body. `handler` answers
from the request (for answers that depend on the body or query).
"""
from __future__ import annotations

import json as jsonlib
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return jsonlib.loads(self.body or b"null")

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Answer:
    status: int = 200
    json: object = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    delay: float = 0.0
    handler: Callable[[RecordedRequest], tuple[int, object, dict[str, str]]] | None = None


class FakeHTTPService:
    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self._answers: dict[tuple[str, str], list[Answer]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting ---------------------------------------------------------------------------------

    def answer(self, method: str, path: str, status: int = 200, *, json=None, body: bytes | None = None,
               headers: dict[str, str] | None = None, times: int | None = None, delay: float = 0.0,
               handler=None) -> None:
        with self._lock:
            self._answers.setdefault((method.upper(), path), []).append(
                Answer(status, json, body, dict(headers or {}), times, delay, handler))

    def reset(self) -> None:
        with self._lock:
            self._answers.clear()
            self.requests.clear()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    # --- running -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHTTPService:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet test output
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urllib.parse.urlsplit(self.path)
                recorded = RecordedRequest(self.command, parts.path, urllib.parse.parse_qs(parts.query),
                                           dict(self.headers.items()), body)
                answer = service._take(recorded)
                if answer.delay:
                    time.sleep(answer.delay)
                status, payload, headers = answer.status, answer.body, dict(answer.headers)
                if answer.handler is not None:
                    status, data, extra = answer.handler(recorded)
                    headers.update(extra or {})
                    payload = data if isinstance(data, bytes) else jsonlib.dumps(data).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif payload is None and answer.json is not None:
                    payload = jsonlib.dumps(answer.json).encode()
                    headers.setdefault("Content-Type", "application/json")
                payload = payload or b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take(self, recorded: RecordedRequest) -> Answer:
        with self._lock:
            self.requests.append(recorded)
            queue = self._answers.get((recorded.method, recorded.path))
            if not queue:
                return Answer(404, {"title": "Not Found", "status": 404, "detail": f"no fake answer for "
                                    f"{recorded.method} {recorded.path}"},
                              headers={"Content-Type": "application/problem+json"})
            answer = queue[0]
            if answer.times is not None:
                answer.times -= 1
                if answer.times <= 0 and len(queue) > 1:
                    queue.pop(0)
            return answer
