"""The answer text: a short verbatim phrase where the question asks for a fact, then the cited sentences."""

from __future__ import annotations

import re
from bisect import bisect_right

from footnote.answering.answer import Citation
from footnote.answering.evidence import answer_type
from footnote.text import MONTHS, STOPWORDS, WORD, terms

_PREP = r"(?:(?:until|till|since|by|in|from|before|after|on|during|around|about|of|at|to)\s+)?"
_DATE_PHRASE = re.compile(
    rf"\b{_PREP}(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS}\s+\d{{4}}|{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{MONTHS}\s+\d{{4}}|(?:the\s+)?\d{{4}}s|\d{{4}}(?:\s*[–-]\s*\d{{2,4}})?|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\s+century"
    r"|\d{1,3}(?=\s+(?-i:BC|AD|BCE|CE)\b))(?:\s+(?-i:BC|AD|BCE|CE)\b)?\b",  # "the 6th century BC", "410 AD"
    re.IGNORECASE,
)
_NAME_PHRASE = re.compile(r"\b[A-Z][\w'’\-]*(?:\s+(?:of|de|the|van|von|and|la|du)?\s*[A-Z][\w'’\-]*)*")
_NUMBER_PHRASE = re.compile(
    r"(?:[$£€¥]\s?)?\b\d[\d,.]*(?:\s*(?:%|percent|per cent|[mM]illion|[bB]illion|thousand|hundred|bn|m)\b)?"
    r"(?:\s+(?!(?:" + "|".join(sorted(STOPWORDS)) + r")\b)(?-i:[a-z]+(?:-[a-z]+)?))?"  # "49 years"; not "11 to"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?"
    r"|thousands?|millions?|billions?|dozens?)\b(?:\s+(?:hundred|thousand|million|billion))?",
    re.IGNORECASE,
)
_PHRASES = {"date": _DATE_PHRASE, "number": _NUMBER_PHRASE, "name": _NAME_PHRASE, "place": _NAME_PHRASE}
# Capitalised words that name no one and no place.
_CALENDAR = frozenset(
    "january february march april may june july august september october november december monday "
    "tuesday wednesday thursday friday saturday sunday ad bc bce ce".split()
)
_LOCATIVE = re.compile(r"\b(?:in|at|to|from|near|into|on|across)\s+(?:the\s+)?$", re.IGNORECASE)
_IN_PLACE = re.compile(r"\b(?:in|at|near)\s+(?:the\s+)?$", re.IGNORECASE)
_LOWER_WORD = re.compile(r"\s+([a-z][a-z\-]*)")
_LEADING_WORD = re.compile(r"([A-Za-z]+)\s+")
_MONEY_OR_DIGITS = re.compile(r"[$£€¥]?\s?(\d[\d,.]*)")
_YEAR_ONLY = re.compile(r"1[0-9]{3}|20[0-9]{2}")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")


def _not_in_question(phrase: str, question: str) -> bool:
    core = re.sub(rf"^{_PREP}", "", phrase, flags=re.IGNORECASE).strip().lower()
    return bool(core) and core not in question.lower()


def _candidates(kind: str, question: str, sentence: str, asked: set[str]):
    """(start, phrase) for each phrase of the asked-for kind that could answer: not one the question
    already says, and for a name or place not a sentence's capitalised first word, a month, a part of a
    hyphenated word ("pay-TV"), or capitalised stop words ("The Taliban" is "Taliban"); for a name, not
    a place after in/at/near."""
    links = [m.span() for m in _URL.finditer(sentence)]
    for match in _PHRASES[kind].finditer(sentence):
        start, phrase = match.start(), match.group(0)
        if any(a <= start < b for a, b in links):
            continue  # a piece of a web or mail address ("…/Povb3KtiDz5LFBXZ9") answers nothing
        if kind in ("name", "place"):
            while (lead := _LEADING_WORD.match(phrase)) and lead.group(1).lower() in STOPWORDS:
                start, phrase = start + lead.end(), phrase[lead.end() :]
            if start == 0 and " " not in phrase:
                continue  # a capitalised first word is usually just the sentence's start
            if (start > 0 and sentence[start - 1] == "-") or phrase.strip(" ,.;:").lower() in _CALENDAR:
                continue
            if (own := terms(phrase)) and all(t in asked for t in own):
                continue
            if kind == "name" and _IN_PLACE.search(sentence, 0, start):
                continue  # "signed in Damascus" says where, not who signed
        phrase = phrase.strip(" ,.;:")
        if not phrase or not _not_in_question(phrase, question):
            continue
        if (
            kind == "number"
            and (digits := _MONEY_OR_DIGITS.match(phrase))
            and re.search(rf"(?<![\d,.]){re.escape(digits.group(1).rstrip('.,'))}(?!\d)", question)
        ):
            continue  # "How many records in her 19 year career?" is not answered by "19 years"
        if kind == "number" and phrase.lower() == "one" and sentence[match.end() :].lstrip().lower().startswith("of "):
            continue  # "one of the worst storms" counts nothing
        yield sentence.index(phrase, start), phrase


def short_answer(question: str, sentence: str) -> str | None:
    """A phrase of the asked-for type, copied verbatim from the sentence, that the question doesn't already say.

    Of several, the one nearest the question's own words in the sentence, as an answer usually sits next
    to what the question restates ("Years after the Great Council, the army under Osric, Edwin's son…"
    answers "Who was Edwin's son?" with Osric, not Great Council): right far more often than the first
    phrase of the type (docs/measurements-2026.md; benches/bench_quality.py measures it behind the ranker)."""
    kind = answer_type(question)
    if kind is None:
        return None
    asked = set(terms(question))
    words = list(WORD.finditer(sentence))
    anchors = [i for i, w in enumerate(words) if (t := terms(w.group(0))) and t[0] in asked]
    ends = [w.end() for w in words]  # the word holding offset o is the first whose end is past o

    ranked = []
    for order, (start, phrase) in enumerate(_candidates(kind, question, sentence, asked)):
        first, last = bisect_right(ends, start), bisect_right(ends, start + len(phrase) - 1)
        if kind == "number" and any(first <= a <= last for a in anchors):
            distance = 0  # it counts what was asked about: "118 million records" for "how many records"
        else:
            distance = min(
                (first - a if a < first else a - last for a in anchors if not first <= a <= last), default=99
            )
        after = _LOWER_WORD.match(sentence, start + len(phrase))
        if kind in ("name", "place") and " " not in phrase and after and after.group(1) not in STOPWORDS:
            distance += 3  # one capitalised word before a noun is mostly an adjective: "Greek mathematician"
        if kind == "place" and _LOCATIVE.search(sentence, 0, start):
            distance -= 5  # "in Pakistan", "to southern Italy"
        # A counted thing ("12 people", "$1.2 billion") beats a bare number, and a bare one beats a year.
        counted = (not re.search(r"\D\s*$|^\D", phrase), bool(_YEAR_ONLY.fullmatch(phrase))) if kind == "number" else ()
        ranked.append((counted, distance, order, phrase))
    return min(ranked)[3] if ranked else None


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
