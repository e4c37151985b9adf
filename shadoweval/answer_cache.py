"""Answers already paid for, on disk: an LLM reply is stored the moment it arrives.

One SQLite file (`answers.sqlite` under the cache folder) in WAL mode, one committed row per reply,
so a run stopped by Ctrl-C, a kill or a crash keeps every answer it received and the next run asks
only for the rest. The key is a hash of everything that determines the reply: the endpoint and
model, the generation parameters, the exact prompt messages (already redacted) and the KB hash.
Stored prompts are not kept, only the reply, so the file holds no more ticket text than the
replies themselves quote.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

FILE_NAME = "answers.sqlite"


@dataclass(frozen=True)
class CachedReply:
    content: str
    prompt_tokens: int
    completion_tokens: int
    model: str


def answer_key(endpoint: str, model: str, messages: Sequence[dict[str, str]], kb_hash: str, params: dict[str, Any]) -> str:
    """sha256 of (endpoint + model, generation parameters, prompt messages as JSON, KB hash)."""
    payload = json.dumps(
        {"endpoint": endpoint.rstrip("/"), "model": model, "params": params, "messages": list(messages), "kb": kb_hash},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnswerCache:
    """Thread-safe get/put; every put is its own committed transaction."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = Path(cache_dir) / FILE_NAME
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT NOT NULL, content TEXT NOT NULL, "
                "prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created_at TEXT NOT NULL)"
            )
            self._db = db
        return self._db

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedReply]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, CachedReply] = {}
        with self._lock:
            db = self._connection()
            for start in range(0, len(keys), 900):
                part = keys[start : start + 900]
                rows = db.execute(
                    "SELECT key, content, prompt_tokens, completion_tokens, model FROM answers "
                    f"WHERE key IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
                for key, content, prompt_tokens, completion_tokens, model in rows:
                    found[key] = CachedReply(content, prompt_tokens, completion_tokens, model)
        return found

    def put(self, key: str, reply: CachedReply) -> None:
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            self._connection().execute(
                "INSERT OR REPLACE INTO answers (key, model, content, prompt_tokens, completion_tokens, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, reply.model, reply.content, reply.prompt_tokens, reply.completion_tokens, created),
            )  # autocommit (isolation_level=None): durable as soon as execute returns

    def count(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
