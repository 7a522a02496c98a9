"""footnote.corpus.decode: text in any common encoding is read; binary is refused wherever it shows."""

from __future__ import annotations

import random

import pytest

from footnote.corpus import ArticleError, decode

TEXT = "Tartus\n\nUnder the agreement, Russia may use the base until 2066. Ça marche, 東京.\n"


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"]
)
def test_text_with_a_byte_order_mark_is_decoded(encoding):
    data = TEXT.encode(encoding)
    if encoding.endswith(("-le", "-be")):  # these codecs write no mark: add the one a text editor writes
        data = "\ufeff".encode(encoding) + data
    text, used = decode(data, "a.txt")
    assert text.lstrip("\ufeff") == TEXT and used.startswith("utf-")


def test_a_nul_byte_far_into_the_file_is_refused():
    data = ("A title\n\n" + "A plain sentence of text. " * 1000).encode() + b"\x00" + b"More text.\n"
    assert len(data) > 20_000
    with pytest.raises(ArticleError, match="looks binary"):
        decode(data, "late-nul.txt")


def test_random_bytes_without_a_nul_are_refused_not_read_as_latin_1():
    rng = random.Random(15)
    data = bytes(rng.choice(range(1, 256)) for _ in range(20_000))
    with pytest.raises(ArticleError, match="looks binary"):
        decode(data, "noise.txt")


def test_utf_16_that_is_not_valid_is_refused_with_one_line():
    with pytest.raises(ArticleError, match="UTF-16 byte-order mark") as refused:
        decode(b"\xff\xfeA\x00\x00\xd8", "broken.txt")  # a lone high surrogate, then the end
    assert "\n" not in str(refused.value)


def test_ordinary_text_with_a_few_controls_and_other_encodings_still_reads():
    page = ("Title\n\n" + "A sentence with a form feed\f and a tab\t. " * 50).encode()
    assert decode(page, "ff.txt")[0].startswith("Title")
    assert decode("Café – crème brûlée.\r\n".encode("cp1252"), "c.txt") == ("Café – crème brûlée.\n", "cp1252")
    assert decode("Ärger\n".encode(), "u.txt") == ("Ärger\n", "utf-8")
