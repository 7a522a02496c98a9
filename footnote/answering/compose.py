"""The answer text: a short verbatim phrase where the question asks for a fact, then the cited sentences."""
from __future__ import annotations

import re

from footnote.answering.answer import Citation
from footnote.answering.evidence import _AMOUNT, _MONTHS, _NUMBER, STOPWORDS, answer_type

_PREP = r"(?:(?:until|till|since|by|in|from|before|after|on|during|around|about|of|at|to)\s+)?"
_DATE_PHRASE = re.compile(
    rf"\b{_PREP}(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTHS}\s+\d{{4}}|(?:the\s+)?\d{{4}}s|\d{{4}}(?:\s*[–-]\s*\d{{2,4}})?|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\s+century)\b",
    re.IGNORECASE,
)
_NAME_PHRASE = re.compile(r"\b[A-Z][\w'’\-]*(?:\s+(?:of|de|the|van|von|and|la|du)?\s*[A-Z][\w'’\-]*)*")
_NUMBER_PHRASE = re.compile(
    r"(?:[$£€¥]\s?)?\b\d[\d,.]*(?:\s*(?:%|percent|per cent|[mM]illion|[bB]illion|thousand|hundred|bn|m)\b)?"
    r"(?:\s+(?!(?:" + "|".join(sorted(STOPWORDS)) + r")\b)[a-z]+(?:-[a-z]+)?)?")  # "49 years", never "11 to"


_YEAR_ONLY = re.compile(r"1[0-9]{3}|20[0-9]{2}")


def _not_in_question(phrase: str, question: str) -> bool:
    core = re.sub(rf"^{_PREP}", "", phrase, flags=re.IGNORECASE).strip().lower()
    return bool(core) and core not in question.lower()


def short_answer(question: str, sentence: str) -> str | None:
    """A phrase of the asked-for type, copied verbatim from the sentence, that the question doesn't already say."""
    kind = answer_type(question)
    if kind == "date":
        pattern = _DATE_PHRASE
    elif kind == "number":
        pattern = _NUMBER_PHRASE if _NUMBER.search(sentence) else _AMOUNT
    elif kind in ("name", "place"):
        pattern = _NAME_PHRASE
    else:
        return None
    phrases = []
    for match in pattern.finditer(sentence):
        phrase = match.group(0).strip(" ,.;:")
        if kind in ("name", "place") and match.start() == 0 and " " not in phrase:
            continue  # a capitalised first word is usually just the sentence's start
        if phrase and _not_in_question(phrase, question):
            phrases.append(phrase)
    if kind == "number":  # a counted thing ("12 people", "$1.2 billion") beats a bare year-like number
        phrases.sort(key=lambda p: (not re.search(r"\D\s*$|^\D", p), bool(_YEAR_ONLY.fullmatch(p))))
    return phrases[0] if phrases else None


def compose(question: str, citations: list[Citation]) -> str:
    """`Short phrase [1].` then each cited sentence quoted with its marker; or the sentences alone."""
    if not citations:
        return ""
    quoted = "\n".join(f"> {c.text} [{c.n}]" for c in citations)
    phrase = short_answer(question, citations[0].text)
    if phrase:
        return f"{phrase[0].upper()}{phrase[1:]} [1].\n{quoted}"
    return quoted


def refusal_text(closest_title: str | None) -> str:
    where = f' The closest article I found is "{closest_title}".' if closest_title else ""
    return f"The articles don't say.{where}"
