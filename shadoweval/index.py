"""FAISS index over KB chunks: exact inner product on normalised vectors (= cosine).

Saved under the cache folder by KB hash and model id, so it is rebuilt only when an article, the
chunking settings or the model change. A KB of thousands of chunks needs no approximate index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .embedding import Embedder
from .kb import KnowledgeBase
from .text import text_hash


@dataclass
class KBIndex:
    index: Any  # faiss.IndexFlatIP
    kb: KnowledgeBase
    built: bool  # False when loaded from the cache

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, chunk positions) per query row; positions are -1 where fewer exist."""
        k = max(1, min(k, self.index.ntotal))
        scores, ids = self.index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
        return scores, ids


def index_path(cache_dir: Path, kb: KnowledgeBase, model_id: str) -> Path:
    return Path(cache_dir) / "indexes" / f"{kb.kb_hash}-{text_hash(model_id)[:8]}.faiss"


def build_or_load(kb: KnowledgeBase, embedder: Embedder) -> KBIndex:
    import faiss

    path = index_path(embedder.cache_dir, kb, embedder.model_id)
    if path.is_file():
        index = faiss.read_index(str(path))
        if index.ntotal == len(kb.chunks):
            return KBIndex(index, kb, built=False)
    vectors = embedder.embed([c.embedding_text for c in kb.chunks], label="Embedding KB")
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    faiss.write_index(index, str(partial))
    partial.replace(path)  # atomic: a killed run never leaves a half-written index behind
    return KBIndex(index, kb, built=True)
