import pytest

from footnote.corpus import ArticleError, article_paths, read_article, split_sentences
from tests.conftest import SEED_ARTICLE, run_fresh, write


def test_seed_article_title_date_and_offsets(seeds):
    article = read_article(seeds / SEED_ARTICLE.name, seeds)
    assert article.title == "Russia's military bases in Syria"
    assert article.date == "2017-01-20"
    text = (seeds / SEED_ARTICLE.name).read_text(encoding="utf-8")
    assert article.text == text
    for s in article.sentences:
        assert text[s.start : s.end] == s.text
        assert text.count("\n", 0, s.start) + 1 == s.line
    assert [s.n for s in article.sentences] == list(range(len(article.sentences)))
    assert any("until 2066" in s.text for s in article.sentences)
    assert not any(s.text.startswith("Date:") for s in article.sentences)


def test_sentences_never_cross_lines_and_keep_abbreviations():
    text = "Title\n\nDr. Smith met Mr. Jones in the U.S. on Jan. 5. They talked.\nA new line starts here"
    got = split_sentences(text, text.index("Dr."))
    assert [s.text for s in got] == [
        "Dr. Smith met Mr. Jones in the U.S. on Jan. 5.",
        "They talked.",
        "A new line starts here",
    ]


def test_markdown_front_matter_and_html(tmp_path):
    seeds = tmp_path / "seeds"
    write(seeds, "a.md", "---\ntitle: Front Title\ndate: 2024-05-01\n---\n# Heading\n\nFirst sentence. Second one.\n")
    md = read_article(seeds / "a.md", seeds)
    assert (md.title, md.date) == ("Front Title", "2024-05-01")
    assert [s.text for s in md.sentences] == ["First sentence.", "Second one."]
    write(
        seeds,
        "b.html",
        "<html><head><title>Page T</title><style>p{}</style></head>"
        "<body><p>Hello &amp; welcome. Bye now.</p><script>x=1</script></body></html>",
    )
    html = read_article(seeds / "b.html", seeds)
    assert html.title == "Page T"
    assert [s.text for s in html.sentences] == ["Hello & welcome.", "Bye now."]
    # Offsets point into the page as stored: the entity is cited as it is written.
    assert [html.text[s.start : s.end] for s in html.sentences] == ["Hello &amp; welcome.", "Bye now."]


def test_cp1252_is_read_with_a_warning(tmp_path, caplog):
    seeds = tmp_path / "seeds"
    (seeds / "c.txt").write_bytes("Caf\u00e9 news\n\nThe caf\u00e9 opened \u2013 at last.\n".encode("cp1252"))
    article = read_article(seeds / "c.txt", seeds)
    assert article.sentences[0].text == "The caf\u00e9 opened \u2013 at last."
    assert "not UTF-8" in caplog.text


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("empty.txt", b"   \n", "is empty"),
        ("binary.txt", b"\x00\x01\x02garbage", "binary"),
        ("title-only.txt", b"Only a title\n", "no sentences"),
    ],
)
def test_bad_articles_get_one_clear_line(tmp_path, name, data, message):
    seeds = tmp_path / "seeds"
    (seeds / name).write_bytes(data)
    with pytest.raises(ArticleError, match=message) as info:
        read_article(seeds / name, seeds)
    assert "\n" not in str(info.value) and name in str(info.value)


def test_huge_article_is_refused_before_reading(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / "huge.txt").write_bytes(b"Big\n\n" + b"Word. " * 300_000)
    with pytest.raises(ArticleError, match="over the 1 MB limit"):
        read_article(seeds / "huge.txt", seeds, max_bytes=1_000_000)


def test_article_paths_skip_hidden_and_other_types(tmp_path):
    seeds = tmp_path / "seeds"
    for name in ("a.txt", "sub/b.md", ".hidden.txt", ".git/c.txt", "d.pdf", "e.HTML", "f.odt", "g.doc"):
        write(seeds, name, "x")
    assert [p.relative_to(seeds).as_posix() for p in article_paths(seeds)] == ["a.txt", "d.pdf", "e.HTML", "sub/b.md"]


@pytest.mark.slow  # a fresh interpreter importing nltk and scipy
def test_splitting_sentences_does_not_load_nltks_optional_dependencies():
    """nltk's package init would import scipy.stats and scikit-learn (~80 MB for the process's life)
    for features it treats as optional; the splitter never uses them, so it imports nltk without them."""
    script = (
        "import sys\nfrom footnote.corpus import split_sentences\n"
        "print(len(split_sentences('It rained. Dr. Smith left at 5 p.m. on Monday. Then it stopped.', 0)),"
        " 'nltk' in sys.modules, 'scipy.stats' in sys.modules or 'sklearn' in sys.modules)\n"
        "import scipy.stats\nprint(scipy.stats.norm.cdf(0))\n"
    )
    done = run_fresh(script)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "3 True False", first  # split as punkt splits, without scipy.stats or sklearn
    assert second == "0.5", "scipy.stats must stay importable for anyone who needs it"
