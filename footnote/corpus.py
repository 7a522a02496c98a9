"""seeds/ → Article(source, title, date, text) → Sentence(n, start, end, text): what the engine reads."""
from __future__ import annotations

import codecs
import hashlib
import logging
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
_DATE_LINE = re.compile(r"^\s*(?:date|published|updated)\s*:\s*(?P<date>.+?)\s*$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\s*(?P<date>\d{4}-\d{2}-\d{2})\s*$")


class ArticleError(Exception):
    """An article we cannot use; the message is one line saying what and what to do."""


@dataclass(frozen=True, slots=True)
class Sentence:
    n: int  # 0-based, in reading order
    start: int  # offsets into Article.text
    end: int
    text: str
    line: int  # 1-based line number of `start`


@dataclass(slots=True)
class Article:
    source: str  # path relative to seeds/, with forward slashes: the article's stable id
    title: str
    date: str | None
    text: str  # the file's text as read (HTML: its visible text)
    sentences: list[Sentence] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _punkt():
    """The punkt model llama-index-core bundles: no download, works offline."""
    nltk = _import_nltk()
    from llama_index.core.utils import get_cache_dir  # noqa: F401  (registers llama-index's nltk path)
    import llama_index.core

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
    (~80 MB) for the process's life."""
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
    """Sentences of text[body_start:], never crossing a line break, with offsets into `text`."""
    tokenizer = _punkt()
    sentences: list[Sentence] = []
    line_no = text.count("\n", 0, body_start) + 1
    pos = body_start
    for raw_line in text[body_start:].split("\n"):
        if raw_line.strip():
            for a, b in tokenizer.span_tokenize(raw_line):
                piece = raw_line[a:b].strip()
                if not piece:
                    continue
                lead = raw_line[a:b].index(piece[0])
                start = pos + a + lead
                sentences.append(Sentence(len(sentences), start, start + len(piece), piece, line_no))
        pos += len(raw_line) + 1
        line_no += 1
    return sentences


def decode(data: bytes, name: str) -> tuple[str, str]:
    """By byte-order mark (UTF-8/16/32), else UTF-8 first, then cp1252 and latin-1 (with a warning); newlines
    normalised as Python's text mode does. Binary is refused: a NUL anywhere, or many control characters."""
    # UTF-32 LE's mark starts with UTF-16 LE's, so it is tried first.
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    marked = next((encoding for bom, encoding in boms if data.startswith(bom)), None)
    if marked is not None:
        try:
            text, encoding = data.decode(marked), marked
        except UnicodeDecodeError:
            raise ArticleError(f"{name}: starts with a {marked.replace('-sig', '').upper()} byte-order mark but is not "
                               "valid in it, skipped: save it as UTF-8 text") from None
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


class _VisibleText(HTMLParser):
    """Visible text of an HTML page, block elements on their own lines; the <title> kept apart."""

    _BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "header"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "noscript"}:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "noscript"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def _html_to_text(html: str) -> tuple[str, str]:
    parser = _VisibleText()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    body = "\n\n".join(line for line in lines if line)
    title = " ".join(parser.title.split())
    return (title or (body.split("\n", 1)[0] if body else "")), body


def parse_article(text: str, source: str, suffix: str) -> Article:
    """Title from the first line / `# heading` / <title>; an optional date line or front matter."""
    date = None
    front_title = None
    if suffix in (".html", ".htm"):
        title, text = _html_to_text(text)
        # The title is kept apart; the visible text is what sentences and offsets refer to.
        return Article(source, title or Path(source).stem, None, text, split_sentences(text, 0))
    body_start = 0
    if suffix == ".md" and text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            for line in text[4:end].split("\n"):
                key, _, value = line.partition(":")
                if key.strip().lower() == "date" and value.strip():
                    date = value.strip().strip("'\"")
                elif key.strip().lower() == "title" and value.strip():
                    front_title = value.strip().strip("'\"")
            body_start = text.find("\n", end + 1) + 1 if text.find("\n", end + 1) != -1 else len(text)
    first_nl = text.find("\n", body_start)
    first_line = text[body_start: first_nl if first_nl != -1 else len(text)]
    title = front_title or first_line.lstrip("#").strip() or Path(source).stem
    body_start = first_nl + 1 if first_nl != -1 else len(text)
    # A date line right under the title ("Date: 2024-05-01" or a bare ISO date) is metadata, not prose.
    for _ in range(3):
        nl = text.find("\n", body_start)
        line = text[body_start: nl if nl != -1 else len(text)]
        if not line.strip():
            if nl == -1:
                break
            body_start = nl + 1
            continue
        match = _DATE_LINE.match(line) or _ISO_DATE.match(line)
        if match and date is None:
            date = match.group("date")
            body_start = nl + 1 if nl != -1 else len(text)
        break
    return Article(source, title, date, text, split_sentences(text, body_start))


def read_article(path: Path, seeds_dir: Path, max_bytes: int = 5_000_000) -> Article:
    """Read one article file. Raises ArticleError (one line: what and what to do) when it is unusable."""
    source, text, encoding = _read_text(path, seeds_dir, max_bytes)
    article = parse_article(text, source, path.suffix.lower())
    article.encoding = encoding
    if not article.sentences:
        raise ArticleError(f"{source}: has a title but no sentences, skipped: add the article's text")
    return article


def article_text(path: Path, seeds_dir: Path, max_bytes: int = 5_000_000) -> str:
    """The text an article's offsets point into (HTML: its visible text), without splitting it into
    sentences: checking a citation must not load the sentence splitter (~100 MB) into a bot."""
    source, text, _ = _read_text(path, seeds_dir, max_bytes)
    return _html_to_text(text)[1] if path.suffix.lower() in (".html", ".htm") else text


def _read_text(path: Path, seeds_dir: Path, max_bytes: int) -> tuple[str, str, str]:
    """(source, decoded text, encoding), or ArticleError."""
    source = path.relative_to(seeds_dir).as_posix()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArticleError(
                f"{source}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit, skipped: "
                "split it into smaller articles or raise MAX_ARTICLE_BYTES"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{source}: cannot be read ({exc.strerror or exc}), skipped: check its permissions") from None
    text, encoding = decode(data, source)
    if not text.strip():
        raise ArticleError(f"{source}: is empty, skipped: add text to it or remove it")
    return source, text, encoding


def article_paths(seeds_dir: Path) -> list[Path]:
    """Every article file under seeds/, sorted, hidden files and folders left out."""
    if not seeds_dir.is_dir():
        return []
    return sorted(
        p for p in seeds_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(seeds_dir).parts)
    )
