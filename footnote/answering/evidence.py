"""Evidence we can compute without a reader model: key terms, numbers, names and the answer type."""

from __future__ import annotations

import re

from footnote.text import MONTHS, STOPWORDS, terms

_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_DATE = re.compile(
    rf"\b{MONTHS}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+{MONTHS}|\b(century|decade|today|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"\b\d[\d,.]*\s*(%|percent|per cent|million|billion|thousand|hundred|km|miles?|metres?|meters?|kg|tons?|tonnes?|years?|days?|hours?|minutes?|feet|ft|inches|pounds?)|[$£€¥]\s?\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'’\-]+")


def bigram_overlap(question_terms: list[str], text_terms: list[str]) -> float:
    """Share of the question's adjacent term pairs that the text has adjacent too (copied phrasing)."""
    pairs = set(zip(question_terms, question_terms[1:]))
    if not pairs:
        return 0.0
    return len(pairs & set(zip(text_terms, text_terms[1:]))) / len(pairs)


_ANSWER_TYPES = (
    # "when" asks for a date only as the question word: "What satellite was used when Sky launched?" asks for a name.
    (
        "date",
        re.compile(
            r"^\W*(?:(?:since|until|till|and|so|but)\s+)?when\b"
            r"|\b(what year|which year|what date|what century|how long ago)\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|old|far|big|large|tall|high|fast|often|deep|heavy)\b"
            r"|\bwhat (percentage|percent|number|amount)\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"^(who|whom|whose)\b|\bwho (is|was|were|are|did|does|signed|wrote|played|plays|won|"
            r"invented|founded|made|sang|sings)\b"
        ),
    ),
    (
        "place",
        re.compile(
            r"^where\b|\bwhere (is|was|are|were|did|does|do)\b"
            r"|\bin (what|which) (country|city|state|place|region|town)\b"
        ),
    ),
)


def answer_type(question: str) -> str | None:
    """What kind of phrase the question asks for: date, number, name, place, or None.

    The earliest cue wins: "How many died when the bridge fell?" asks for a number, not a date."""
    q = question.lower().strip()
    found = [(m.start(), kind) for kind, pattern in _ANSWER_TYPES if (m := pattern.search(q))]
    return min(found)[1] if found else None


def has_type(sentence: str, kind: str | None, known: frozenset[str] = frozenset()) -> bool:
    """Does the sentence hold a phrase of the asked-for kind? For a name or place, one that is not
    among `known` (lower-cased words the asker already has: the question's and the article title's),
    since "who founded Walmart" is not answered by a sentence whose only name is Walmart."""
    if kind == "date":
        return bool(_YEAR.search(sentence) or _DATE.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(sentence) or _AMOUNT.search(sentence))
    if kind in ("name", "place"):
        return any(m.group(0).lower() not in known for m in _CAPITALISED.finditer(sentence))
    return True


_ANAPHOR = re.compile(r"(?:It|He|She|They|This|These|Its|His|Her|Their)\b")


def opens_with_pronoun(sentence: str) -> bool:
    """Does the sentence take its subject from the one before it ("It was founded by...")?"""
    return bool(_ANAPHOR.match(sentence))


def without_title_words(question: str, title_terms: set[str]) -> str:
    """The question without the words whose terms its article's title already holds ("Who founded
    Walmart?" in the Walmart article asks "Who founded"); the whole question when that leaves nothing."""
    kept = [w for w in question.split() if not (t := terms(w)) or t[0] not in title_terms]
    return " ".join(kept) or question


def specifics(question: str) -> list[str]:
    """The question's numbers and proper names: an answer must not be about other ones."""
    found = [m.group(0).rstrip(".,") for m in _NUMBER.finditer(question)]
    found += [m.group(0) for m in _CAPITALISED.finditer(question)]
    return [f for f in found if f.lower() not in STOPWORDS]


def missing_specifics(question: str, text: str) -> float:
    """Share of the question's numbers and names that `text` lacks (0 when the question has none)."""
    items = specifics(question)
    if not items:
        return 0.0
    low = text.lower()
    return sum(1 for item in items if item.lower() not in low) / len(items)
