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


def sentence_coverage(
    reference_sentences: list[list[str]], answer_sentences: list[list[str]], vectors: dict[str, np.ndarray]
) -> np.ndarray:
    """Per ticket: the mean, over the reference's sentences, of the best cosine with any answer sentence.

    Whole-text cosine punishes an answer for saying more than the human did; coverage asks only
    whether each thing the human said is also said by the AI.
    """
    result = np.zeros(len(reference_sentences), dtype=np.float32)
    for i, (ref, ans) in enumerate(zip(reference_sentences, answer_sentences)):
        if not ref or not ans:
            continue
        r = np.vstack([vectors[s] for s in ref])
        a = np.vstack([vectors[s] for s in ans])
        result[i] = float((r @ a.T).max(axis=1).mean())
    return result
