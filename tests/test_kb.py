from pathlib import Path

import pytest

from shadoweval.errors import InputError
from shadoweval.kb import chunk_sections, load_kb, Section


def test_reads_markdown_text_and_html_with_titles_and_headings(data_dir: Path) -> None:
    kb = load_kb(data_dir / "kb")
    assert kb.articles == {"gift-cards": "Gift cards", "returns": "Returns and refunds", "shipping": "Shipping and tracking"}
    shipping = [c for c in kb.chunks if c.article_id == "shipping"]
    assert {c.heading for c in shipping} == {"Delivery times", "Tracking your order"}
    gift = " ".join(c.text for c in kb.chunks if c.article_id == "gift-cards")
    assert "never expire" in gift and "exchanged for cash." in gift  # list items become sentences
    assert "not text" not in gift and "color" not in gift and "Home | Help" not in gift  # script, style, nav dropped
    assert all(c.embedding_text.startswith(c.title) for c in kb.chunks)


def test_long_paragraphs_are_split_at_sentences_and_short_ones_merged() -> None:
    long_paragraph = " ".join(f"Sentence number {i} says something useful." for i in range(60))
    chunks = chunk_sections("a", "A", [Section("H", [long_paragraph, "Short.", "Also short."])], 400, 100)
    assert all(len(c.text) <= 400 for c in chunks)
    assert "Short. Also short." in chunks[-1].text
    assert "".join(c.text for c in chunks).count("Sentence number") == 60


def test_kb_hash_changes_only_when_an_article_changes(kb_dir: Path) -> None:
    first = load_kb(kb_dir).kb_hash
    assert load_kb(kb_dir).kb_hash == first
    (kb_dir / "returns.txt").write_text("Returns and refunds\n\nNo returns at all.\n")
    assert load_kb(kb_dir).kb_hash != first


def test_missing_and_empty_kb_folders_are_explained(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist.*--kb"):
        load_kb(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="has no articles"):
        load_kb(tmp_path / "empty")
