"""The pair model: reads a premise and a statement and says whether the premise entails the
statement, contradicts it, or neither (a cross-encoder fine-tuned from the packaged MiniLM weights;
see shadoweval/models/pair/MODEL_CARD.md and training/).

Like the embedder, it is loaded lazily and only on a cache miss, so a warm run never imports torch.
Results are cached on disk in one SQLite file keyed by (weights hash, premise, statement).
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .embedding import prepare_offline_transformers
from .errors import BackendError
from .vector_store import VectorStore

MODEL_DIR = Path(__file__).parent / "models" / "pair"
LABELS = ("entailment", "neutral", "contradiction")
MAX_TOKENS = 256
TOKEN_BUDGET = 8192  # padded tokens per forward pass
ProgressFactory = Callable[[int, str], Any]


@dataclass(frozen=True)
class PairJudgement:
    """Probabilities that the premise entails, is neutral to, or contradicts the statement."""

    entailment: float
    neutral: float
    contradiction: float


@functools.lru_cache(maxsize=1)
def pair_model_id() -> str:
    """The shipped weights' identity: cache entries from other weights are never reused."""
    weights = MODEL_DIR / "model.safetensors"
    if not weights.is_file():
        raise BackendError(f"The pair model's weights are missing from {MODEL_DIR}; reinstall shadoweval with `pip install -e .`.")
    digest = hashlib.sha256()
    with open(weights, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "pair-minilm-" + digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def load_pair_model() -> tuple[Any, Any]:
    """(tokenizer, model) from the package folder, offline, in float32 for the CPU."""
    try:
        prepare_offline_transformers()
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(MODEL_DIR))
        model = AutoModelForSequenceClassification.from_pretrained(str(MODEL_DIR), dtype=torch.float32)
        model.eval()
        return tokenizer, model
    except Exception as exc:
        raise BackendError(f"Could not load the pair model from {MODEL_DIR} ({exc}); reinstall with `pip install -e .`.") from exc


@dataclass
class PairStats:
    requested: int = 0
    cache_hits: int = 0
    judged: int = 0
    seconds_model_load: float = 0.0
    seconds_inference: float = 0.0


class PairJudge:
    """Judges (premise, statement) pairs through the cache, in length-sorted batches."""

    def __init__(self, cache_dir: Path, progress: ProgressFactory | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.stats = PairStats()
        self._progress = progress
        self._store = VectorStore(self.cache_dir / "pairs.sqlite", "judgements", "probabilities")
        self._model_id: str | None = None

    def judge(self, pairs: Sequence[tuple[str, str]], label: str = "Reading statement pairs") -> list[PairJudgement]:
        if not pairs:
            return []
        values, requested, hits = self._store.cached(pairs, self._key, lambda missing: self._infer(missing, label))
        self.stats.requested += requested
        self.stats.cache_hits += hits
        return [PairJudgement(*(float(x) for x in v)) for v in values]

    def close(self) -> None:
        self._store.close()

    def _infer(self, pairs: list[tuple[str, str]], label: str) -> np.ndarray:
        started = time.perf_counter()
        tokenizer, model = load_pair_model()
        self.stats.seconds_model_load += time.perf_counter() - started
        import torch

        started = time.perf_counter()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        result = np.empty((len(pairs), 3), dtype=np.float32)
        bar = self._progress(len(pairs), label) if self._progress else None
        try:
            position = 0
            with torch.inference_mode():
                while position < len(order):
                    longest = len(pairs[order[min(len(order) - 1, position + 63)]][0]) + len(pairs[order[min(len(order) - 1, position + 63)]][1])
                    size = max(4, min(64, TOKEN_BUDGET // min(MAX_TOKENS, longest // 4 + 12)))
                    ids = order[position : position + size]
                    encoded = tokenizer(
                        [pairs[i][0] for i in ids], [pairs[i][1] for i in ids],
                        truncation="longest_first", max_length=MAX_TOKENS, padding=True, return_tensors="pt",
                    )
                    result[ids] = torch.softmax(model(**encoded).logits.float(), dim=-1).numpy()
                    position += len(ids)
                    if bar is not None:
                        bar.update(len(ids))
        finally:
            if bar is not None:
                bar.finish()
        self.stats.judged += len(pairs)
        self.stats.seconds_inference += time.perf_counter() - started
        return result

    def _key(self, pair: tuple[str, str]) -> bytes:
        if self._model_id is None:
            self._model_id = pair_model_id()
        return hashlib.sha256(f"{self._model_id}\x00{pair[0]}\x00{pair[1]}".encode("utf-8")).digest()[:20]
