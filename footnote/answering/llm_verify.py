"""A model's statement against the sentences it cites: every number, date and name must be in them.

Stricter than verify.unsupported_facts (which checks Footnote's own short answer, a phrase copied from
the sentence): a model paraphrases, so a sentence-initial "The" or "Yes" is no name, "2 ministries"
may rest on "two defence ministries", and "Russia's" rests on "Russia" (stems compared)."""

from __future__ import annotations

import re

from footnote.text import STOPWORDS, stem

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[,.]\d+)*(?![\w])|(?<![\w.])\d+(?=[a-zA-Z%])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_TENS = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
_SCALES = {"hundred", "thousand", "million", "billion", "trillion", "dozen"}
_CALENDAR = re.compile(
    r"\b(?:january|february|march|april|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday)\b\.?",
    re.IGNORECASE,
)
# Capitalised at a sentence's start without being a name (beyond the stop words).
_OPENERS = frozenset(
    "yes no however according both although though since because currently today under "
    "instead overall in on at by for from as after before during while unless there".split()
)


def _numbers(text: str, spelled_one: bool = True) -> set[str]:
    """Digits as written, thousands separators dropped ("1,200" is "1200"), plus spelled-out numbers
    ("forty-nine" is 49). A statement's "one" is mostly no count ("one of the bases"): not checked."""
    found = {m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    for word in _WORD.findall(text.lower()):
        parts = word.split("-")
        if len(parts) == 2 and parts[0] in _TENS and parts[1] in _NUMBER_WORDS and _NUMBER_WORDS[parts[1]] < 10:
            found.add(str(_NUMBER_WORDS[parts[0]] + _NUMBER_WORDS[parts[1]]))
            continue
        for part in parts:
            if part in _NUMBER_WORDS and (spelled_one or part not in ("one", "zero")):
                found.add(str(_NUMBER_WORDS[part]))
    return found


def _months(text: str) -> set[str]:
    return {m.group(0).lower().rstrip(".")[:3] for m in _CALENDAR.finditer(text)}


def _names(statement: str) -> list[str]:
    """Capitalised words, except one opening a sentence that is a common word ("The", "Yes", "Under")."""
    out = []
    for m in _WORD.finditer(statement):
        word = m.group(0)
        if not word[0].isupper() or _CALENDAR.fullmatch(word):
            continue
        before = statement[: m.start()].rstrip(" \"'“‘(")
        opening = not before or before[-1] in ".!?:;"
        if opening and word.lower().strip("'’") in STOPWORDS | _OPENERS:
            continue
        out.append(word)
    return out


def unsupported_in_statement(statement: str, cited: list[str]) -> list[str]:
    """Numbers, dates and names in `statement` that none of the `cited` sentences holds (must be empty)."""
    sources = " ".join(cited)
    cited_numbers, cited_months = _numbers(sources), _months(sources)
    cited_stems = {stem(w.lower().strip("'’-")) for w in _WORD.findall(sources)}
    cited_words = {w.lower() for w in _WORD.findall(sources)}
    missing = []
    for number in sorted(_numbers(statement, spelled_one=False) - cited_numbers):
        missing.append(number)
    for word in _WORD.findall(statement.lower()):
        if word in _SCALES and word not in cited_words:
            missing.append(word)  # "63 million" is not "63 thousand"
    missing += [month for month in sorted(_months(statement) - cited_months)]
    for name in _names(statement):
        if stem(name.lower().strip("'’-")) not in cited_stems and name.lower() not in cited_words:
            missing.append(name)
    return missing
