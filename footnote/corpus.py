"""seeds/ → Article(source, title, date, text) → Sentence(n, start, end, text): what the engine reads.

Each format's reader (footnote/reading) gives blocks of clean text mapped to the file; here they
become citable units: a unit's `text` is what a person reads, its `start`/`end` the span it came
from in the file as stored (PDF, .docx: in their extracted text)."""

from __future__ import annotations

import codecs
import hashlib
import logging
import sys
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from footnote.reading import (
    BINARY_SUFFIXES,
    CODE,
    ITEM,
    PROSE,
    ROW,
    TEXT_SUFFIXES,
    Block,
    Document,
    UnreadableFile,
    read_binary_document,
    read_text_document,
)
from footnote.reading.markdown import line_starts
from footnote.reading.plain import date_of
from footnote.reading.textmap import MappedText

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = TEXT_SUFFIXES + BINARY_SUFFIXES


class ArticleError(Exception):
    """An article we cannot use; the message is one line saying what and what to do."""


@dataclass(frozen=True, slots=True)
class Sentence:
    n: int  # 0-based, in reading order
    start: int  # offsets into Article.text: the unit's span in the file as stored
    end: int
    text: str  # what a person reads there: no markup, a table row with its column headers
    line: int  # 1-based line number of `start`
    section: str = ""  # the headings above it, outermost first
    page: int | None = None  # 1-based page (PDF)


@dataclass(slots=True)
class Article:
    source: str  # path relative to seeds/, with forward slashes: the article's stable id
    title: str
    date: str | None
    text: str  # the file's text as read (PDF, .docx: their extracted text)
    sentences: list[Sentence] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _punkt():
    """The punkt model llama-index-core bundles: no download, works offline."""
    nltk = _import_nltk()
    import llama_index.core
    from llama_index.core.utils import get_cache_dir  # noqa: F401  (registers llama-index's nltk path)

    bundled = Path(llama_index.core.__file__).parent / "_static" / "nltk_cache"
    if str(bundled) not in nltk.data.path:
        nltk.data.path.append(str(bundled))
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


# Imported by nltk's package init only for features it treats as optional (collocation statistics,
# the scikit-learn classifier wrapper) and that sentence splitting never uses.
_NLTK_OPTIONAL = ("scipy.stats", "sklearn")


def _import_nltk():
    """nltk, imported as if its optional heavy dependencies were absent: they would stay resident
    for the process's life (tens of MB)."""
    blocked = [] if "nltk" in sys.modules else [name for name in _NLTK_OPTIONAL if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` → ImportError
    try:
        import nltk
    finally:
        for name in blocked:
            del sys.modules[name]
    return nltk


def split_sentences(text: str, body_start: int = 0) -> list[Sentence]:
    """Sentences of plain text[body_start:], never crossing a line break, with offsets into `text`."""
    doc = Document(text)
    pos = body_start
    for line in text[body_start:].split("\n"):
        if line.strip():
            mapped = MappedText()
            mapped.add(line, pos)
            doc.blocks.append(Block(PROSE, mapped))
        pos += len(line) + 1
    return units_of(doc)


# Longer code blocks are listings, not answers; they would crowd out sentences as quotes.
MAX_CODE_CHARS = 1000
# A list item is one unit, as its reader sees it (a step, a rule, a link with its note), unless it is
# long enough to be a paragraph in disguise: then it is split into sentences like prose.
MAX_ITEM_CHARS = 400


def units_of(doc: Document) -> list[Sentence]:
    """The citable units of a document, in reading order: prose (and a long list item) split into
    sentences, never across a block; a list item, a table row or a code block whole."""
    tokenizer = _punkt()
    starts = line_starts(doc.text)
    units: list[Sentence] = []

    def add(start: int, end: int, text: str, block: Block) -> None:
        line = bisect_right(starts, start)
        units.append(Sentence(len(units), start, end, text, line, sys.intern(block.section), block.page))

    for block in doc.blocks:
        clean = block.text.text
        whole_item = block.kind == ITEM and len(clean.strip()) <= MAX_ITEM_CHARS
        if block.kind in (ROW, CODE) or whole_item:
            text = clean.strip()
            if not text or (block.kind == CODE and len(text) > MAX_CODE_CHARS):
                continue
            lead = clean.index(text[0])
            start, end = block.span or block.text.raw_span(lead, lead + len(text))
            add(start, end, text, block)
            continue
        for a, b in tokenizer.span_tokenize(clean):
            piece = clean[a:b]
            text = piece.strip()
            if not text:
                continue
            a += piece.index(text[0])
            start, end = block.text.raw_span(a, a + len(text))
            add(start, end, text, block)
    return units


def text_at(doc: Document, start: int, end: int) -> str | None:
    """What the unit at raw span [start, end) of a document reads as, or None if no block holds it."""
    for block in doc.blocks:
        if block.span == (start, end):
            return block.text.text.strip()
    for block in doc.blocks:
        mapped = block.text
        if mapped.clean and mapped.raw[0] <= start and end <= mapped.raw_end[-1]:
            return mapped.clean_within(start, end).strip()
    return None


def decode(data: bytes, name: str) -> tuple[str, str]:
    """By byte-order mark (UTF-8/16/32), else UTF-8 first, then cp1252 and latin-1 (with a warning); newlines
    normalised as Python's text mode does. Binary is refused: a NUL anywhere, or many control characters."""
    # UTF-32 LE's mark starts with UTF-16 LE's, so it is tried first.
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    marked = next((encoding for bom, encoding in boms if data.startswith(bom)), None)
    if marked is not None:
        try:
            text, encoding = data.decode(marked), marked
        except UnicodeDecodeError:
            raise ArticleError(
                f"{name}: starts with a {marked.replace('-sig', '').upper()} byte-order mark but is not "
                "valid in it, skipped: save it as UTF-8 text"
            ) from None
    else:
        if b"\x00" in data:
            raise ArticleError(f"{name}: looks binary (NUL bytes), skipped: save it as UTF-8 text")
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if encoding != "utf-8":
            log.warning("%s: not UTF-8, read as %s: re-save it as UTF-8 to be sure", name, encoding)
    # Text has next to no control characters; binary read as latin-1 has one byte in four or so.
    controls = sum(1 for ch in text if ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cs"))
    if "\x00" in text or controls > max(3, len(text) // 100):
        raise ArticleError(f"{name}: looks binary ({controls:,} control characters), skipped: save it as UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding.replace("-sig", "")


def parse_article(text: str, source: str, suffix: str) -> Article:
    """A text article (.txt, .md, .html) read by its format's reader and split into citable units."""
    return _article(read_text_document(text, suffix), source)


def _article(doc: Document, source: str) -> Article:
    title = doc.title or Path(source).stem.replace("-", " ").replace("_", " ").strip() or source
    if doc.date is None and doc.blocks and doc.blocks[0].kind == PROSE and date_of(doc.blocks[0].text.text):
        # "Date: 2024-05-01" right under the title is metadata, not prose.
        doc.date = date_of(doc.blocks[0].text.text)
        doc.blocks = doc.blocks[1:]
    return Article(source, title, doc.date, doc.text, units_of(doc))


def read_article(path: Path, seeds_dir: Path, max_bytes: int = 5_000_000) -> Article:
    """Read one article file. Raises ArticleError (one line: what and what to do) when it is unusable."""
    source, doc, encoding = _read_document(path, seeds_dir, max_bytes)
    article = _article(doc, source)
    article.encoding = encoding
    if not article.sentences:
        raise ArticleError(f"{source}: has a title but no sentences, skipped: add the article's text")
    return article


def article_document(path: Path, seeds_dir: Path, max_bytes: int = 5_000_000) -> Document:
    """An article file read into blocks, without splitting them into sentences: checking a citation
    must not load the sentence splitter (nltk, tens of MB) into a bot."""
    return _read_document(path, seeds_dir, max_bytes)[1]


def _read_document(path: Path, seeds_dir: Path, max_bytes: int) -> tuple[str, Document, str]:
    """(source, the file read by its format's reader, the text encoding it was decoded with)."""
    source = path.relative_to(seeds_dir).as_posix()
    suffix = path.suffix.lower()
    data = _read_bytes(path, source, max_bytes)
    if suffix in BINARY_SUFFIXES:
        return source, _read_binary(data, source, suffix), "utf-8"  # extracted text, not decoded bytes
    text, encoding = _decode_nonempty(data, source)
    return source, read_text_document(text, suffix), encoding


def _read_binary(data: bytes, source: str, suffix: str) -> Document:
    try:
        return read_binary_document(data, suffix)
    except UnreadableFile as exc:
        raise ArticleError(f"{source}: {exc}, skipped: re-save it or export it as text") from None


def _read_bytes(path: Path, source: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArticleError(
                f"{source}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit, skipped: "
                "split it into smaller articles or raise MAX_ARTICLE_BYTES"
            )
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(
            f"{source}: cannot be read ({exc.strerror or exc}), skipped: check its permissions"
        ) from None


def _decode_nonempty(data: bytes, source: str) -> tuple[str, str]:
    text, encoding = decode(data, source)
    if not text.strip():
        raise ArticleError(f"{source}: is empty, skipped: add text to it or remove it")
    return text, encoding


def article_paths(seeds_dir: Path) -> list[Path]:
    """Every article file under seeds/, sorted, hidden files and folders left out."""
    if not seeds_dir.is_dir():
        return []
    return sorted(
        p
        for p in seeds_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(seeds_dir).parts)
    )
