"""A persistent key -> float32 vector store in one SQLite file: the embedding and pair-model caches.

Keys are short digests the caller makes (model identity + input); values are float32 arrays.
WAL mode lets concurrent runs share a file; every put commits, so work survives an interruption.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable, Hashable, Sequence, TypeVar

import numpy as np

T = TypeVar("T", bound=Hashable)

_BATCH = 900  # SQLite's default limit on bound parameters is 999


class VectorStore:
    def __init__(self, path: Path, table: str, column: str) -> None:
        self.path = Path(path)
        self.table = table
        self.column = column
        self._db: sqlite3.Connection | None = None

    def cached(
        self, items: Sequence[T], key: Callable[[T], bytes], compute: Callable[[list[T]], np.ndarray]
    ) -> tuple[list[np.ndarray], int, int]:
        """One value per item, in order: from the store, or computed in one call for the items it
        lacks (then stored). Returns the values, the number of distinct items and the cache hits."""
        unique = list(dict.fromkeys(items))
        keys = [key(item) for item in unique]
        found = self.get(keys)
        hits = len(found)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            values = compute([unique[i] for i in missing])
            self.put([(keys[i], values[j]) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                found[keys[i]] = values[j]
        by_item = {item: found[k] for item, k in zip(unique, keys)}
        return [by_item[item] for item in items], len(unique), hits

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        db = self._connection()
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), _BATCH):
            part = keys[start : start + _BATCH]
            rows = db.execute(f"SELECT key, {self.column} FROM {self.table} WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: list[tuple[bytes, np.ndarray]]) -> None:
        db = self._connection()
        with db:
            db.executemany(
                f"INSERT OR REPLACE INTO {self.table} (key, {self.column}) VALUES (?, ?)",
                [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key BLOB PRIMARY KEY, {self.column} BLOB NOT NULL)")
        return self._db
