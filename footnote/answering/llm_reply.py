"""What the model is sent (the question and numbered candidate sentences) and how its reply is read.

The model picks sentences by number and phrases statements over them; it never writes a quote. Its
reply must match ANSWER_SCHEMA; servers that ignore `response_format` are read defensively (the first
JSON object in the text), and anything else is malformed (LLMError: the extractive answer is given)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from footnote.answering.llm_client import LLMError

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "statements": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "sentence_ids": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "sentence_ids"],
                "additionalProperties": False,
            },
        },
        "not_in_articles": {"type": "boolean"},
    },
    "required": ["statements", "not_in_articles"],
    "additionalProperties": False,
}
REWRITE_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}},
    "required": ["question"],
    "additionalProperties": False,
}

ANSWER_RULES = """You answer questions about a team's articles using only the numbered sentences you are given.
Reply with one JSON object and nothing else:
{"statements": [{"text": "...", "sentence_ids": [1]}], "not_in_articles": false}
- Each statement is one short sentence answering the question, resting only on the sentences whose numbers it lists in sentence_ids.
- Write every number, date and name exactly as the cited sentences write it. Add nothing from your own knowledge.
- Do not quote the sentences at length and do not put [n] markers in the text: they are added for you.
- Use as few statements as answer the question (one is often enough).
- If the sentences do not answer the question, reply {"statements": [], "not_in_articles": true}."""

REWRITE_RULES = """You rewrite a follow-up question from a conversation into a standalone question.
Reply with one JSON object and nothing else: {"question": "..."}
- Resolve words like "it", "they", "that" and "and who ...?" using the previous question.
- Keep the follow-up's meaning and wording otherwise; do not answer it.
- If the follow-up already stands alone, return it unchanged."""


@dataclass(frozen=True)
class Candidate:
    title: str
    section: str | None
    text: str


@dataclass(frozen=True)
class Statement:
    text: str
    ids: tuple[int, ...]  # 1-based candidate numbers; 0 for an id that is not a number


@dataclass(frozen=True)
class Reply:
    statements: tuple[Statement, ...]
    not_in_articles: bool


def answer_messages(question: str, candidates: list[Candidate]) -> list[dict]:
    lines = []
    for i, c in enumerate(candidates, 1):
        where = f"{c.title} › {c.section}" if c.section else c.title
        lines.append(f"[{i}] ({_one_line(where)}) {_one_line(c.text)}")
    user = f"Question: {_one_line(question)}\n\nSentences:\n" + "\n".join(lines)
    return [{"role": "system", "content": ANSWER_RULES}, {"role": "user", "content": user}]


def rewrite_messages(question: str, previous: str) -> list[dict]:
    user = f"Previous question: {_one_line(previous)}\nFollow-up: {_one_line(question)}"
    return [{"role": "system", "content": REWRITE_RULES}, {"role": "user", "content": user}]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def first_json_object(text: str) -> dict | None:
    """The first JSON object in the text: the whole reply, or one inside prose or a ``` fence."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text[:50_000]):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _ids(raw) -> tuple[int, ...]:
    if not isinstance(raw, list):
        raw = [raw] if raw not in (None, "") else []
    out = []
    for value in raw:
        if isinstance(value, int) and not isinstance(value, bool):
            out.append(value)
        elif isinstance(value, str) and value.strip().strip("[]").isdigit():
            out.append(int(value.strip().strip("[]")))
        else:
            out.append(0)  # not a sentence number: verification drops the statement as citing an unknown id
    return tuple(out)


def parse_reply(content: str) -> Reply:
    value = first_json_object(content)
    if value is None:
        raise LLMError("the model's reply holds no JSON object")
    raw = value.get("statements", [])
    if not isinstance(raw, list):
        raise LLMError("the model's reply has statements that are not a list")
    statements = tuple(
        Statement(item.get("text") if isinstance(item.get("text"), str) else "", _ids(item.get("sentence_ids", [])))
        for item in raw
        if isinstance(item, dict)
    )
    not_in_articles = value.get("not_in_articles") is True
    if not statements and not not_in_articles:
        raise LLMError("the model's reply has neither statements nor not_in_articles")
    return Reply(statements, not_in_articles)


def parse_rewrite(content: str) -> str:
    """The standalone question: {"question": ...}, or a reply that is only the question."""
    value = first_json_object(content)
    question = value.get("question") if value is not None else content.strip()
    if not isinstance(question, str) or not question.strip() or "\n" in question.strip() or len(question) > 1000:
        raise LLMError("the model's rewritten question is not one line of text")
    return question.strip()
