"""Semantic similarity: embedding cosine between the AI answer and the human reply, batched."""

from __future__ import annotations

import numpy as np


def rowwise_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of row i of `a` with row i of `b` (both already L2-normalised)."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.einsum("ij,ij->i", a, b).clip(-1.0, 1.0)


def rescale(cosine: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    """Map raw cosine onto 0..1: unrelated texts of this model sit near `floor`, paraphrases near `ceiling`."""
    return ((cosine - floor) / max(ceiling - floor, 1e-6)).clip(0.0, 1.0)
