"""Team documents end to end through the CLI: a Markdown policy, a PDF and a .docx in seeds/, asked with
`ask --jsonl`, a thread's follow-up carrying its earlier question as "context"."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import ok, run
from tests.test_reading import make_docx, make_pdf

pytestmark = pytest.mark.slow  # `python bot.py ask --jsonl` subprocesses

TRAVEL_MD = """---
title: Travel policy
---
# Travel policy

All trips are booked through the travel desk at least two weeks ahead.

## Meals

The meal allowance on trips is **$75 a day**, receipts required.

## Hotels

Hotel rooms are covered up to [$250 a night](https://example.com/rates) in most cities.

## Per diem by region

| Region | Daily limit |
|---|---|
| Europe | $90 |
| Asia | $60 |
"""

LINES = [
    {"id": "meal", "question": "What's the meal allowance on trips?"},
    {"id": "hotel", "question": "And what about hotels?", "context": "What's the meal allowance on trips?"},
    {"id": "row", "question": "What is the daily limit in Asia?"},
    {"id": "pdf", "question": "How often do passwords rotate?"},
    {"id": "docx", "question": "How many weeks of paid parental leave do parents get?"},
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("team-docs")
    seeds = folder / "seeds"
    (seeds / "policies").mkdir(parents=True)
    (seeds / "policies" / "travel.md").write_text(TRAVEL_MD, encoding="utf-8")
    (seeds / "security.pdf").write_bytes(
        make_pdf(["Laptops are encrypted at rest with FileVault.", "Passwords rotate every ninety days."])
    )
    (seeds / "leave.docx").write_bytes(make_docx())
    proc = ok(run(folder, "ask", "--jsonl", stdin="".join(json.dumps(line) + "\n" for line in LINES)))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == [line["id"] for line in LINES]
    return {
        r["id"]: r | {"raw": (seeds / r["citations"][0]["source"]).read_bytes() if r["citations"] else b""}
        for r in rows
    }


def first(answer: dict) -> dict:
    assert answer["found"] and answer["citations"], answer
    return answer["citations"][0]


def test_a_markdown_quote_is_clean_and_its_offsets_slice_the_file(answers):
    cite = first(answers["meal"])
    assert cite["text"] == "The meal allowance on trips is $75 a day, receipts required."
    assert cite["section"] == "Meals" and cite["title"] == "Travel policy" and cite["page"] is None
    raw = answers["meal"]["raw"].decode("utf-8")
    assert raw[cite["start"] : cite["end"]] == "The meal allowance on trips is **$75 a day**, receipts required."
    assert cite["line"] == raw.count("\n", 0, cite["start"]) + 1


def test_a_follow_up_is_answered_about_what_it_asks_in_its_thread(answers):
    cite = first(answers["hotel"])
    assert cite["section"] == "Hotels"
    assert cite["text"] == "Hotel rooms are covered up to $250 a night in most cities."


def test_a_table_question_cites_its_row_with_the_headers(answers):
    cite = first(answers["row"])
    assert cite["text"] == "Region: Asia; Daily limit: $60"
    assert answers["row"]["raw"].decode()[cite["start"] : cite["end"]] == "| Asia | $60 |"


def test_a_pdf_citation_carries_its_page(answers):
    cite = first(answers["pdf"])
    assert (cite["source"], cite["page"], cite["text"]) == ("security.pdf", 2, "Passwords rotate every ninety days.")


def test_a_docx_citation_names_its_heading(answers):
    cite = first(answers["docx"])
    assert (cite["source"], cite["section"]) == ("leave.docx", "Parental leave")
    assert cite["text"] == "Parents get sixteen weeks of paid leave."
