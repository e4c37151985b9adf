"""A minimal client for OpenAI-compatible chat-completions endpoints, on the standard library only.

OpenAI, Ollama, vLLM, llama.cpp's server and LM Studio all speak the same `POST /chat/completions`,
so urllib and json are enough, and the package gains no HTTP dependency. Failures are sorted by
what the caller can do about them: retry (429, 5xx, timeouts), stop the run (unreachable endpoint,
rejected key, a server that does not speak the protocol), or give up on one ticket (a request the
server refuses, such as one longer than the model's context).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from .config import url_without_credentials
from .errors import BackendError

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0  # seconds; a server asking for longer is treated as failing


class RequestRejected(Exception):
    """The server refused this one request (HTTP 400, 413, 422): give up on the ticket, not the run."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class ChatReply:
    content: str
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str
    finish_reason: str | None


def is_loopback(base_url: str) -> bool:
    """True when the endpoint is on this machine (127.0.0.0/8, ::1, localhost): nothing leaves it."""
    import ipaddress

    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChatClient:
    """POSTs chat requests to `{base_url}/chat/completions` with retries and backoff."""

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        timeout: float = 120.0,
        max_retries: int = 4,
        retry_base_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.shown_url = url_without_credentials(self.base_url)
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_base_delay = retry_base_delay
        self._sleep = sleep
        # A server on this machine is reached directly, whatever http_proxy says; remote ones honour it.
        handlers = [urllib.request.ProxyHandler({})] if is_loopback(self.base_url) else []
        self._opener = urllib.request.build_opener(*handlers)

    def complete(self, messages: Sequence[dict[str, str]], model: str, temperature: float, max_tokens: int) -> ChatReply:
        """One chat completion; raises BackendError when the run cannot go on, RequestRejected for this request."""
        body = json.dumps(
            {"model": model, "messages": list(messages), "temperature": temperature, "max_tokens": max_tokens, "stream": False}
        ).encode("utf-8")
        attempt = 0
        while True:
            try:
                return self._parse(self._post("/chat/completions", body), model)
            except _Retryable as exc:
                if attempt >= self.max_retries:
                    raise BackendError(
                        f"The LLM endpoint at {self.shown_url} kept failing ({exc.reason}, {attempt + 1} attempts); "
                        "try again later (answers received so far are cached), or raise openai.timeout / lower openai.concurrency."
                    ) from None
                delay = self.retry_base_delay * (2**attempt)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER))
                self._sleep(delay)
                attempt += 1

    # -- transport --------------------------------------------------------------------------------
    def _post(self, path: str, body: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "shadoweval"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            self._raise_for_status(exc.code, _error_detail(exc), exc.headers)
        except (TimeoutError, socket.timeout):
            raise _Retryable(f"no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise _Retryable(f"no answer within {self.timeout:g} s") from None
            if isinstance(reason, (ConnectionResetError, ConnectionAbortedError)):
                raise _Retryable("connection reset") from None
            raise BackendError(
                f"Could not reach the LLM endpoint at {self.shown_url} ({_describe_reason(reason)}); "
                "start the server or fix openai.base_url."
            ) from None
        except (ConnectionResetError, ConnectionAbortedError, http.client.HTTPException) as exc:
            raise _Retryable(f"connection dropped: {type(exc).__name__}") from None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackendError(
                f"The endpoint at {self.shown_url} did not answer with JSON; check that openai.base_url points at an "
                "OpenAI-compatible API (it usually ends in /v1)."
            ) from None
        if not isinstance(data, dict):
            raise BackendError(
                f"The endpoint at {self.shown_url} answered with unexpected JSON; check that openai.base_url points at "
                "an OpenAI-compatible API (it usually ends in /v1)."
            )
        return data

    def _raise_for_status(self, status: int, detail: str, headers: Message | None) -> None:
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            raise BackendError(
                f"The LLM endpoint at {self.shown_url} rejected the API key (HTTP {status}{suffix}); "
                "set OPENAI_API_KEY or SHADOWEVAL_OPENAI_API_KEY to a valid key."
            )
        if status == 404:
            raise BackendError(
                f"The LLM endpoint at {self.shown_url} answered HTTP 404{suffix}; check openai.model and that "
                "openai.base_url is the API root (it usually ends in /v1)."
            )
        if status in RETRY_STATUSES or status >= 500:
            raise _Retryable(f"HTTP {status}{suffix}", _retry_after(headers))
        if status in (400, 413, 422):
            raise RequestRejected(f"the LLM endpoint rejected the request (HTTP {status}{suffix})")
        raise BackendError(
            f"The LLM endpoint at {self.shown_url} answered HTTP {status}{suffix}; check openai.base_url and the server's logs."
        )

    def _parse(self, data: dict[str, Any], model: str) -> ChatReply:
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise BackendError(
                f"The endpoint at {self.shown_url} did not return a chat completion (no choices[0].message); "
                "check that openai.base_url points at an OpenAI-compatible API."
            ) from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return ChatReply(
            content=str(content),
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
            model=str(data.get("model") or model),
            finish_reason=choice.get("finish_reason"),
        )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's own error message, shortened: it often names the exact problem (unknown model)."""
    try:
        raw = exc.read()[:2000]
        data = json.loads(raw)
        error = data.get("error", data) if isinstance(data, dict) else data
        message = error.get("message") if isinstance(error, dict) else error
        text = str(message or "")
    except Exception:
        text = ""
    text = " ".join(text.split())
    return text[:200].rstrip(". ")


def _describe_reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    text = getattr(reason, "strerror", None) or str(reason)
    return " ".join(str(text).split()).rstrip(".").lower() or "network error"
