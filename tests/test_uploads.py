"""footnote.uploads: safe names that keep their letters, no silent overwrite, nothing saved with nothing to index."""

from __future__ import annotations

import unicodedata

import pytest

from footnote.settings import Settings
from footnote.uploads import UploadRefused, safe_name, save_upload

ARTICLE = b"A title\n\nThe harbour opened in 1887. It closed in 1990.\n"


@pytest.mark.parametrize(
    "given, stored",
    [
        ("статья.txt", "статья.txt"),
        ("报告.md", "报告.md"),
        ("report (1).txt", "report-(1).txt"),
        ("report [1].txt", "report-[1].txt"),
        ("x.TXT", "x.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.html", "evil.html"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b\u202ec\n.txt", "abc.txt"),
        ('what?<is>:"this"|.txt', "whatisthis.txt"),
        ("con.txt", "con-article.txt"),
        ("e\u0301te\u0301.txt", unicodedata.normalize("NFC", "e\u0301te\u0301.txt")),
    ],
)
def test_safe_names_keep_their_letters(given, stored):
    assert safe_name(given) == stored


@pytest.mark.parametrize(
    "given, message",
    [("???.txt", "no letters or digits"), ("a.odt", "only .txt"), ("ж" * 70 + ".txt", "over the 120-byte limit")],
)
def test_unusable_names_are_refused_with_one_line(given, message):
    with pytest.raises(UploadRefused, match=message) as refused:
        safe_name(given)
    assert "\n" not in str(refused.value)


def test_a_name_differing_only_in_case_or_unicode_form_needs_replace(tmp_path):
    settings = Settings(seeds_dir=tmp_path / "seeds")
    assert save_upload(settings, "e\u0301te\u0301.txt", ARTICLE).name == "\u00e9t\u00e9.txt"
    for clash in ("\u00c9T\u00c9.TXT", "e\u0301te\u0301.txt"):
        with pytest.raises(UploadRefused, match="already exists"):
            save_upload(settings, clash, ARTICLE)
    saved = save_upload(settings, "\u00c9T\u00c9.txt", ARTICLE.replace(b"1887", b"1888"), replace=True)
    assert saved.name == "\u00c9T\u00c9.txt" and saved.replaced.startswith(".replaced/")
    assert [p.name for p in settings.seeds_dir.iterdir() if p.is_file()] == ["\u00c9T\u00c9.txt"]
    assert (settings.seeds_dir / saved.replaced).read_bytes() == ARTICLE


@pytest.mark.parametrize(
    "data, message",
    [(b"Only a title\n", "no sentences"), (b"  \n", "empty"), (b"Title\n\nText\x00more text.\n", "binary")],
)
def test_nothing_to_index_is_refused_and_nothing_is_left_behind(tmp_path, data, message):
    settings = Settings(seeds_dir=tmp_path / "seeds")
    with pytest.raises(UploadRefused, match=message):
        save_upload(settings, "note.txt", data)
    assert [p for p in settings.seeds_dir.rglob("*") if p.is_file()] == []
