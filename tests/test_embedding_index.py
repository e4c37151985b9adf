from pathlib import Path

import numpy as np

from shadoweval.embedding import Embedder
from shadoweval.index import build_or_load
from shadoweval.kb import load_kb


def test_embeddings_are_normalised_and_cached_on_disk(tmp_path: Path) -> None:
    texts = ["How long does shipping take?", "Shipping takes 3 to 5 days.", "How long does shipping take?"]
    first = Embedder(tmp_path / "cache")
    vectors = first.embed(texts)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors[0], vectors[2])
    assert first.stats.embedded == 2  # duplicates are embedded once
    assert float(vectors[0] @ vectors[1]) > 0.5
    first.close()

    second = Embedder(tmp_path / "cache")
    again = second.embed(texts)
    assert second.stats.embedded == 0 and second.stats.cache_hits == 2
    assert second._model is None  # nothing to encode, so the model was never touched
    assert np.allclose(again, vectors, atol=1e-6)


def test_index_is_built_once_and_rebuilt_when_the_kb_changes(tmp_path: Path, kb_dir: Path) -> None:
    embedder = Embedder(tmp_path / "cache")
    kb = load_kb(kb_dir)
    built = build_or_load(kb, embedder)
    assert built.built and built.index.ntotal == len(kb.chunks)
    query = embedder.embed(["Do gift cards expire?"])
    scores, ids = built.search(query, 2)
    assert kb.chunks[ids[0][0]].article_id == "gift-cards"
    assert scores[0][0] >= scores[0][1]

    assert not build_or_load(kb, embedder).built
    (kb_dir / "new.md").write_text("# Store hours\n\nWe are open from 9 to 5 on weekdays.\n")
    changed = load_kb(kb_dir)
    rebuilt = build_or_load(changed, embedder)
    assert rebuilt.built and rebuilt.index.ntotal == len(changed.chunks)
