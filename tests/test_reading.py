"""Team documents read as people read them: clean quotes, exact source spans, sections, rows, pages.

Every fixture here is written for these tests."""

from __future__ import annotations

import re

import pytest

from footnote.corpus import ArticleError, article_document, read_article, text_at

MARKUP = re.compile(r"\*\*|__|\]\(|^\s*(?:[-*+]|\d+[.)])\s|^#|\||<[a-z/]|\{\{|\{%")

HANDBOOK_MD = """---
title: "Travel policy"
date: 2025-03-01
---
# Travel at Acme

Book trips through **Navan** at least [two weeks](https://example.com/rules) ahead.
{{generator:glossary}}

## Hotels

Hotels must cost less than <b>$250</b> a night. Share a room only if you want to.

### Limits by trip

| Trip category | Total spend limit |
|---|---|
| Domestic | **$2,000** |
| International | $5,000 |

## One-on-ones

1. Meet every week for thirty minutes.
2. Bring an agenda: the report owns it.
   - Nested point *with emphasis* here.

```
run --this --code
  and this line. Another sentence.
```
"""


def write(folder, name, data):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.fixture()
def markdown(tmp_path):
    write(tmp_path, "travel.md", HANDBOOK_MD)
    return read_article(tmp_path / "travel.md", tmp_path)


def unit(article, starts_with):
    found = [s for s in article.sentences if s.text.startswith(starts_with)]
    assert len(found) == 1, [s.text for s in article.sentences]
    return found[0]


def test_markdown_title_and_date_come_from_front_matter(markdown):
    assert (markdown.title, markdown.date) == ("Travel policy", "2025-03-01")


def test_markdown_quotes_are_clean_visible_text(markdown):
    texts = [s.text for s in markdown.sentences]
    assert "Book trips through Navan at least two weeks ahead." in texts
    assert "Hotels must cost less than $250 a night." in texts
    assert not [t for t in texts if MARKUP.search(t)], texts
    assert not any("glossary" in t for t in texts), "a template tag was indexed"
    assert not any(
        t.startswith(("Travel at Acme", "Hotels", "Limits", "One-on-ones")) and len(t) < 20 for t in texts
    ), "a heading was indexed as a sentence"


def test_markdown_offsets_slice_the_cited_unit_in_the_raw_file(markdown):
    raw = markdown.text
    assert raw == HANDBOOK_MD
    s = unit(markdown, "Book trips")
    assert raw[s.start : s.end] == "Book trips through **Navan** at least [two weeks](https://example.com/rules) ahead."
    assert s.line == raw.count("\n", 0, s.start) + 1
    for s in markdown.sentences:  # what the verify step checks: the span still reads as the quote
        assert text_at(article_document_of(markdown, raw), s.start, s.end) == s.text


def article_document_of(article, raw):
    from footnote.reading import read_text_document

    return read_text_document(raw, ".md")


def test_markdown_sections_name_the_headings_above(markdown):
    # The front matter names the page, so its first heading is a section like the others.
    assert unit(markdown, "Book trips").section == "Travel at Acme"
    assert unit(markdown, "Hotels must").section == "Travel at Acme › Hotels"
    assert unit(markdown, "Trip category: Domestic").section == "Travel at Acme › Hotels › Limits by trip"
    assert unit(markdown, "Meet every week").section == "Travel at Acme › One-on-ones"


def test_markdown_first_heading_is_the_title_when_there_is_no_front_matter(tmp_path):
    write(tmp_path, "m.md", "# **Meetings**\n\nKeep them short.\n\n## Remote\n\nCameras on.\n")
    page = read_article(tmp_path / "m.md", tmp_path)
    assert page.title == "Meetings"
    assert [(s.text, s.section) for s in page.sentences] == [("Keep them short.", ""), ("Cameras on.", "Remote")]


def test_markdown_table_row_is_read_with_its_headers_and_cited_whole(markdown):
    row = unit(markdown, "Trip category: Domestic")
    assert row.text == "Trip category: Domestic; Total spend limit: $2,000"
    assert markdown.text[row.start : row.end] == "| Domestic | **$2,000** |"
    assert not any(s.text.startswith("Trip category; ") or s.text == "Trip category" for s in markdown.sentences)


def test_markdown_numbered_item_is_one_unit_without_its_number(markdown):
    item = unit(markdown, "Meet every week")
    assert item.text == "Meet every week for thirty minutes."
    assert markdown.text[item.start : item.end] == "Meet every week for thirty minutes."
    assert unit(markdown, "Bring an agenda").text == "Bring an agenda: the report owns it."
    assert unit(markdown, "Nested point").text == "Nested point with emphasis here."


def test_markdown_code_block_is_never_split(markdown):
    code = unit(markdown, "run --this")
    assert code.text == "run --this --code\n  and this line. Another sentence."


def test_a_sentence_never_runs_across_two_items():
    from footnote.corpus import units_of
    from footnote.reading import read_text_document

    doc = read_text_document("# T\n\n- first item without a stop\n- second item\n", ".md")
    assert [u.text for u in units_of(doc)] == ["first item without a stop", "second item"]


def test_a_list_item_is_one_unit_unless_it_is_as_long_as_a_paragraph():
    from footnote.corpus import MAX_ITEM_CHARS, units_of
    from footnote.reading import read_text_document

    step = "Open the form. Pick **Other** and add a note."
    long_sentence = "This sentence is one of many in an item that reads like a paragraph. "
    long_item = long_sentence * (MAX_ITEM_CHARS // len(long_sentence) + 1)
    source = f"# T\n\n- {step}\n- {long_item.strip()}\n"
    units = units_of(read_text_document(source, ".md"))
    assert units[0].text == "Open the form. Pick Other and add a note."
    assert source[units[0].start : units[0].end] == step
    assert len(units) == 1 + long_item.count(". "), [u.text for u in units]
    assert all(u.text == long_sentence.strip() for u in units[1:])


HTML_PAGE = """<!doctype html><html><head><title>Site | Expenses</title>
<script>var secret = "never indexed";</script><style>p { color: red }</style></head>
<body><h1>Expenses</h1>
<p>Submit receipts within <a href="/x">thirty days</a> of the trip.</p>
<h2>Meals</h2>
<ul><li>Dinner is covered up to &euro;40.</li><li>Alcohol is not covered.</li></ul>
<table><tr><th>Level</th><th>Budget</th></tr><tr><td>Junior</td><td>$1,000</td></tr></table>
<script>document.write("also never")</script>
</body></html>"""


def test_html_is_read_with_structure_and_scripts_never_indexed(tmp_path):
    write(tmp_path, "expenses.html", HTML_PAGE)
    page = read_article(tmp_path / "expenses.html", tmp_path)
    texts = [s.text for s in page.sentences]
    assert page.title == "Expenses"
    assert "Submit receipts within thirty days of the trip." in texts
    assert "Dinner is covered up to €40." in texts
    assert "Level: Junior; Budget: $1,000" in texts
    assert not any("never" in t or "color" in t for t in texts)
    dinner = unit(page, "Dinner")
    assert dinner.section == "Meals"
    assert page.text[dinner.start : dinner.end] == "Dinner is covered up to &euro;40."


def test_html_without_a_heading_takes_its_title_tag(tmp_path):
    write(tmp_path, "p.html", "<html><head><title>Onboarding</title></head><body><p>Say hello.</p></body></html>")
    assert read_article(tmp_path / "p.html", tmp_path).title == "Onboarding"


def make_pdf(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Security handbook")
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_a_two_page_pdf_cites_page_two(tmp_path):
    write(tmp_path, "security.pdf", make_pdf(["Laptops are encrypted at rest.", "Passwords rotate every ninety days."]))
    doc = read_article(tmp_path / "security.pdf", tmp_path)
    assert doc.title == "Security handbook"
    rotate = unit(doc, "Passwords rotate")
    assert rotate.page == 2 and unit(doc, "Laptops").page == 1
    assert doc.text[rotate.start : rotate.end] == rotate.text  # offsets into the extracted text


def test_a_broken_pdf_gets_one_clear_line(tmp_path):
    write(tmp_path, "bad.pdf", b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(ArticleError, match=r"bad\.pdf: .*skipped"):
        read_article(tmp_path / "bad.pdf", tmp_path)


def make_docx() -> bytes:
    import io

    import docx

    document = docx.Document()
    document.core_properties.title = "Leave policy"
    document.add_heading("Parental leave", level=1)
    document.add_paragraph("Parents get sixteen weeks of paid leave. It starts on any day.")
    document.add_paragraph("Tell your manager a month ahead.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Country", "Weeks"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "France", "20"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_heading_gives_the_section(tmp_path):
    write(tmp_path, "leave.docx", make_docx())
    doc = read_article(tmp_path / "leave.docx", tmp_path)
    assert doc.title == "Leave policy"
    weeks = unit(doc, "Parents get")
    assert weeks.text == "Parents get sixteen weeks of paid leave." and weeks.section == "Parental leave"
    assert unit(doc, "Tell your manager").section == "Parental leave"
    assert unit(doc, "Country: France").text == "Country: France; Weeks: 20"
    assert doc.text[weeks.start : weeks.end] == weeks.text
    assert article_document(tmp_path / "leave.docx", tmp_path).text == doc.text


def test_an_unclosed_script_hides_neither_the_page_nor_lets_its_code_in(tmp_path):
    write(
        tmp_path,
        "u.html",
        "<html><body><h1>Guide</h1><p>Before it.</p><script>var leaked = 1;<p>After the script tag.</p></body></html>",
    )
    texts = [s.text for s in read_article(tmp_path / "u.html", tmp_path).sentences]
    assert texts == ["Before it.", "After the script tag."]
