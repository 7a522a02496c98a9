"""Text analysis shared by the keyword index, retrieval and answering: words, stop words, stems, term weights."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
MONTHS = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom whose why will with would you your yours yourself yourselves many much name named called known one ones""".split()
)

_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words (stop words dropped): what BM25 and coverage compare."""
    return [stem(w) for w in (m.group(0).lower().strip("'’-") for m in WORD.finditer(text)) if w and w not in STOPWORDS]


def words(text: str) -> frozenset[str]:
    """Lower-cased word forms, unstemmed: what a name in a sentence is compared with."""
    return frozenset(w.lower() for w in re.findall(r"\w+", text))


@dataclass(frozen=True)
class TermWeights:
    """Weighs question terms by inverse document frequency (the keyword index's, over sentences)."""

    idf: Callable[[str], float]

    def coverage(self, question_terms: list[str], text_terms: set[str]) -> float:
        """IDF-weighted share of the question's terms present in the text."""
        if not question_terms:
            return 0.0
        weights = {t: self.idf(t) for t in set(question_terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in text_terms) / total if total else 0.0
