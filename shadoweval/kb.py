"""Read knowledge-base articles (markdown, text, HTML) and cut them into retrievable chunks.

A chunk is a run of paragraphs under one heading, short enough for the embedding model's window;
it keeps its article id (the file path without extension) and title so answers can cite sources.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .errors import InputError
from .text import normalize_space, split_sentences

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
KB_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES
CHUNKER_VERSION = "1"

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    article_id: str
    title: str
    heading: str
    text: str

    @property
    def embedding_text(self) -> str:
        """Title and heading give a short paragraph the context it needs to be found."""
        context = self.title if not self.heading or self.heading == self.title else f"{self.title} - {self.heading}"
        return f"{context}: {self.text}"

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str]


@dataclass(frozen=True)
class KnowledgeBase:
    chunks: tuple[Chunk, ...]
    articles: dict[str, str]  # article id -> title
    kb_hash: str
    root: Path


def kb_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in KB_SUFFIXES)


def load_kb(root: Path, max_chars: int = 900, min_chars: int = 200) -> KnowledgeBase:
    """Read every article under `root`; raise InputError if there is nothing usable."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"Knowledge-base folder {root} does not exist; pass the folder of articles with --kb.")
    files = kb_files(root)
    if not files:
        raise InputError(
            f"Knowledge-base folder {root} has no articles (.md, .markdown, .txt, .html); add articles or point --kb elsewhere."
        )
    digest = hashlib.sha256(f"chunker={CHUNKER_VERSION};max={max_chars};min={min_chars}".encode())
    chunks: list[Chunk] = []
    articles: dict[str, str] = {}
    for path in files:
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\x00" + hashlib.sha256(data).digest())
        text = data.decode("utf-8", errors="replace")
        article_id = rel.rsplit(".", 1)[0]
        title, sections = parse_article(text, path.suffix.lower(), fallback_title=path.stem)
        articles[article_id] = title
        chunks.extend(chunk_sections(article_id, title, sections, max_chars, min_chars))
    if not chunks:
        raise InputError(f"Knowledge-base folder {root} has articles but no text in them; check the files.")
    return KnowledgeBase(tuple(chunks), articles, digest.hexdigest()[:16], root)


def parse_article(text: str, suffix: str, fallback_title: str) -> tuple[str, list[Section]]:
    if suffix in HTML_SUFFIXES:
        return _parse_html(text, fallback_title)
    if suffix in MARKDOWN_SUFFIXES:
        return _parse_markdown(text, fallback_title)
    return _parse_text(text, fallback_title)


def _parse_markdown(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    title = ""
    sections: list[Section] = []
    heading = ""
    paragraph: list[str] = []
    paragraphs: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            paragraphs.append(normalize_space(" ".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines():
        match = _MD_HEADING.match(line.strip())
        if match:
            flush_paragraph()
            if paragraphs:
                sections.append(Section(heading, list(paragraphs)))
                paragraphs.clear()
            level, name = len(match.group(1)), normalize_space(match.group(2))
            if level == 1 and not title:
                title = name
            heading = name
        elif not line.strip():
            flush_paragraph()
        elif re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            flush_paragraph()  # list items read as separate sentences
            paragraph.append(_end_sentence(line.strip()))
        else:
            paragraph.append(line.strip())
    flush_paragraph()
    if paragraphs:
        sections.append(Section(heading, list(paragraphs)))
    return title or fallback_title, sections


def _parse_text(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    blocks = [normalize_space(b) for b in re.split(r"\n\s*\n", text) if b.strip()]
    if not blocks:
        return fallback_title, []
    lines = text.strip().splitlines()
    title = normalize_space(lines[0]) if lines else fallback_title
    if blocks and blocks[0] == title:
        blocks = blocks[1:]
    return title or fallback_title, [Section("", blocks)] if blocks else []


class _HtmlArticle(HTMLParser):
    BLOCKS = {"p", "li", "td", "th", "div", "section", "article", "br", "tr", "dd", "dt", "blockquote", "pre"}
    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.sections: list[Section] = []
        self._heading = ""
        self._paragraphs: list[str] = []
        self._buffer: list[str] = []
        self._in_heading: str | None = None
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self.HEADINGS:
            self._flush_text()
            self._in_heading = tag
        elif tag in self.BLOCKS:
            self._flush_text()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self.HEADINGS and self._in_heading:
            name = normalize_space("".join(self._buffer))
            self._buffer.clear()
            if self._paragraphs:
                self.sections.append(Section(self._heading, list(self._paragraphs)))
                self._paragraphs.clear()
            if tag == "h1" and not self.title:
                self.title = name
            self._heading = name
            self._in_heading = None
        elif tag in self.BLOCKS:
            self._flush_text(end_sentence=tag == "li")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title = self.title or normalize_space(data)
            return
        self._buffer.append(data)

    def _flush_text(self, end_sentence: bool = False) -> None:
        if self._in_heading:
            return
        text = normalize_space("".join(self._buffer))
        self._buffer.clear()
        if text:
            self._paragraphs.append(_end_sentence(text) if end_sentence else text)

    def close(self) -> None:
        super().close()
        self._flush_text()
        if self._paragraphs:
            self.sections.append(Section(self._heading, list(self._paragraphs)))


def _parse_html(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    parser = _HtmlArticle()
    parser.feed(text)
    parser.close()
    return parser.title or fallback_title, parser.sections


def _end_sentence(text: str) -> str:
    text = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", text).strip()
    return text if not text or text[-1] in ".!?:;" else text + "."


def chunk_sections(
    article_id: str, title: str, sections: list[Section], max_chars: int, min_chars: int
) -> list[Chunk]:
    """Paragraph chunks within a heading: short paragraphs merge, long ones split at sentences."""
    chunks: list[Chunk] = []
    for section in sections:
        pieces: list[str] = []
        for paragraph in section.paragraphs:
            pieces.extend(_split_long(paragraph, max_chars))
        current = ""
        for piece in pieces:
            if current and (len(current) >= min_chars or len(current) + len(piece) + 1 > max_chars):
                chunks.append(Chunk(article_id, title, section.heading, current))
                current = piece
            else:
                current = f"{current} {piece}".strip()
        if current:
            chunks.append(Chunk(article_id, title, section.heading, current))
    return chunks


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    if len(paragraph) <= max_chars:
        return [paragraph]
    parts: list[str] = []
    current = ""
    for sentence in split_sentences(paragraph):
        while len(sentence) > max_chars:  # a run-on "sentence": cut at a word boundary
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + len(sentence) + 1 > max_chars:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts
