"""compose.py, evidence.py and verify.unsupported_facts on hand-written sentences (no model, no index)."""

from __future__ import annotations

import pytest

from footnote.answering.answer import Citation
from footnote.answering.compose import compose, refusal_text, short_answer
from footnote.answering.evidence import answer_type, bigram_overlap, has_type, missing_specifics, specifics
from footnote.answering.verify import unsupported_facts
from footnote.text import terms, words

SEED_2066 = (
    "Under the agreement, Russia may use the Tartus base free of charge for 49 years, which means the base "
    "agreement runs until 2066."
)
SEED_SIGNED = "The deal was signed in Damascus on 18 January 2017 by officials of the two defence ministries."
SEED_1971 = "It was first set up as a Soviet supply point in 1971."
SEED_WARSHIPS = "The base may host up to 11 Russian warships at a time, including nuclear-powered vessels."
SEED_TARTUS = "Tartus is Russia's only naval base on the Mediterranean Sea."

# (question, sentence, a phrase the short answer must contain, or None when there must be no short answer)
CASES = [
    ("When does the base agreement expire?", SEED_2066, "until 2066"),
    ("When was the deal signed?", SEED_SIGNED, "18 January 2017"),
    ("When was Tartus first set up?", SEED_1971, "in 1971"),
    ("When did the strike end?", "The strike ended on March 3, 2019, after two weeks of talks.", "March 3, 2019"),
    ("When was the bridge built?", "The bridge was built in the 19th century by Scottish engineers.", "19th century"),
    ("In what year did the museum open?", "The museum opened in 1895 and closed in the 1990s.", "1895"),
    ("How many warships can the base host?", SEED_WARSHIPS, "11"),
    ("How many people live in the town?", "About 4,500 people live in the town all year round.", "4,500"),
    ("What percentage of voters turned out?", "Turnout reached 67 percent, the highest since 1992.", "67 percent"),
    ("How long is the tunnel?", "The tunnel is 57 km long and took 17 years to dig.", "57 km"),
    ("How many moons does Mars have?", "Mars has two small moons, Phobos and Deimos.", "two"),
    ("Who did Maria Lopez marry?", "In 1990 Maria Lopez married Tomas Berg in a small chapel.", "Tomas Berg"),
    ("Who wrote the report?", "The report was written by the engineer Jonas Weller for the council.", "Jonas Weller"),
    ("Where did the ship sink?", "The ship sank off the coast of Nova Scotia in a storm.", "Nova Scotia"),
    ("What is the Tartus base?", SEED_TARTUS, None),
    ("Why did the strike end?", "The strike ended on March 3, 2019, after two weeks of talks.", None),
    ("When did the plant close in 1990?", "The plant closed in 1990.", None),  # the only date is the asked one
    # Of several phrases of the right kind, the one beside the question's own words.
    (
        "Who was Edwin's son?",
        "Years after the Great Council, the army under the command of Osric, Edwin's son, crossed the river.",
        "Osric",
    ),
    (
        "How many records has she sold in her 19 year career?",
        "Throughout a career spanning 19 years, she has sold "
        "over 118 million records, and a further 60 million with the band.",
        "118 million records",
    ),
    # Not a name: a capitalised stop word, a month, a part of a hyphenated word, an adjective before its noun.
    (
        "Where did the monks flee?",
        "Under the Danish abbot, several monks of Saint Ives fled to Northern Isla.",
        "Northern Isla",
    ),
    (
        "Who led the service when it began?",
        "The service started on 1 September 1993 under its chief, Sam Chisholm.",
        "Sam Chisholm",
    ),
    (
        "Who owns the scrambling system?",
        "The network uses the pay-TV scrambling system owned by NDS, a media firm.",
        "NDS",
    ),
    ("Who described the device?", "The device was first described by the Greek engineer Tomas Weller.", "Tomas Weller"),
    ("Who signed the deal?", SEED_SIGNED, None),  # "in Damascus" is where, not who: the quote alone answers
    # Numbers written as words count; "one of" counts nothing.
    ("How many awards did the album win?", "The album earned five awards and reached the Hot 100 chart.", "five"),
    ("How many people died?", "One of the worst storms on record killed 4,500 people in 1990.", "4,500 people"),
    ("When did the city fall?", "The city fell in 410 AD to a besieging army.", "410 AD"),
    (
        "Since when was the valley farmed?",
        "The valley had been farmed since the 6th century BC by settlers.",
        "6th century BC",
    ),
]


def cite(n: int, text: str, source: str = "a.txt") -> Citation:
    return Citation(n, source, "An article", None, n - 1, 0, len(text), text, 0.5)


@pytest.mark.parametrize("question, sentence, expected", CASES, ids=[c[0] for c in CASES])
def test_short_answer_is_the_asked_for_phrase(question, sentence, expected):
    phrase = short_answer(question, sentence)
    if expected is None:
        assert phrase is None
    else:
        assert phrase is not None and expected in phrase, phrase


def test_short_answer_is_always_copied_verbatim_from_the_sentence():
    checked = 0
    for question, sentence, _ in CASES:
        for variant in (sentence, sentence.upper(), sentence.replace(" ", "  "), f"“{sentence}”"):
            phrase = short_answer(question, variant)
            if phrase is not None:
                assert phrase and phrase in variant, (question, variant, phrase)
                assert phrase == phrase.strip(" ,.;:")
                checked += 1
    assert checked >= 40  # the loop really looked at phrases, not only Nones


def test_who_answer_is_a_name_the_question_does_not_already_say():
    phrase = short_answer("Who did Maria Lopez marry?", "Maria Lopez married Tomas Berg in 1990.")
    assert phrase == "Tomas Berg"


def test_a_number_phrase_takes_a_lower_case_unit_but_no_stop_word_or_name():
    assert short_answer("How much did the stadium cost?", "The stadium cost $1.2 billion to build.") == "$1.2 billion"
    assert short_answer("How many warships can the base host?", SEED_WARSHIPS) == "11"  # not "11 Russian"
    assert short_answer("How long is the tunnel?", "The tunnel is 57 km long.") == "57 km"


def test_compose_puts_the_marker_after_the_short_answer_and_quotes_each_citation():
    citations = [cite(1, SEED_2066), cite(2, SEED_SIGNED, "b.txt")]
    text = compose("When does the base agreement expire?", citations)
    first, *quotes = text.split("\n")
    assert first == "Until 2066 [1]."
    assert quotes == [f"> {SEED_2066} [1]", f"> {SEED_SIGNED} [2]"]


def test_compose_without_a_short_answer_is_the_quotes_alone():
    citations = [cite(1, SEED_TARTUS)]
    assert compose("What is the Tartus base?", citations) == f"> {SEED_TARTUS} [1]"
    assert compose("When does the base agreement expire?", []) == ""


def test_refusal_text_names_the_closest_article():
    assert refusal_text(None) == "The articles don't say."
    assert refusal_text("Russia's military bases in Syria").endswith('"Russia\'s military bases in Syria".')


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When does the base agreement expire?", "date"),
        ("What year was Tartus set up?", "date"),
        ("Since when has Russia used Hmeimim?", "date"),
        ("How many warships can the base host?", "number"),
        ("How much did the stadium cost?", "number"),
        ("What percentage of voters turned out?", "number"),
        ("Who signed the deal?", "name"),
        ("Whose navy uses the port?", "name"),
        ("Where is the Hmeimim air base?", "place"),
        ("In which country is Tartus?", "place"),
        ("What is the Tartus base?", None),
        ("Why did Russia want a naval base?", None),
        ("What satellite was used when the service launched?", None),  # "when" opens a clause, not the question
        ("Who led the company when it was sold?", "name"),
        ("Until when does the agreement run?", "date"),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


def test_answer_type_of_a_how_many_question_with_a_when_clause():
    # The earliest cue wins: a later when-clause must not turn it into a date question ('In 1967 [1].').
    assert answer_type("How many people died when the bridge collapsed?") == "number"


def test_has_type():
    assert has_type(SEED_2066, "date") and has_type("It opened in March.", "date")
    assert not has_type("It opened long ago.", "date")
    assert has_type(SEED_WARSHIPS, "number") and has_type("It holds a dozen ships.", "number")
    assert not has_type("It holds many ships.", "number")
    assert has_type("The deal was signed in Damascus.", "name")
    assert not has_type("The deal was signed last week.", "name")  # the sentence's first word is not a name
    assert has_type("anything at all", None)


def test_a_name_the_asker_already_has_is_no_answer():
    known = words("Who founded Northwind Traders?") | words("Northwind Traders")
    assert not has_type("Shares of Northwind Traders rose.", "name", known)
    assert has_type("Shares of Northwind Traders rose after Maria Anders spoke.", "name", known)
    assert has_type("Shares of Northwind Traders rose.", "name")  # without what the asker has, any name counts


def test_specifics_and_missing_specifics():
    question = "Did Russia sign the 1971 deal with Syria in Damascus?"
    assert specifics(question) == ["1971", "Russia", "Syria", "Damascus"]
    assert missing_specifics(question, "Russia and Syria signed in Damascus in 1971.") == 0.0
    assert missing_specifics(question, "Russia signed it in 1971.") == pytest.approx(0.5)
    assert missing_specifics(question, "Nothing relevant here.") == 1.0
    assert missing_specifics("what is the port for?", "anything") == 0.0  # nothing specific asked


def test_bigram_overlap():
    question = terms("When does the base agreement expire?")  # base agreement expir
    assert bigram_overlap(question, terms("the base agreement runs until 2066")) == pytest.approx(0.5)
    assert bigram_overlap(question, terms("the agreement base expires")) == 0.0  # same words, not adjacent
    assert bigram_overlap(question, question) == 1.0
    assert bigram_overlap(["one"], ["one"]) == 0.0  # no pairs to share


def test_unsupported_facts_finds_what_the_citations_lack():
    citations = [cite(1, SEED_2066)]
    assert unsupported_facts(compose("When does the base agreement expire?", citations), citations) == []
    assert unsupported_facts("Until 2067 [1].", citations) == ["2067"]
    assert unsupported_facts("Putin agreed to 49 years [1].", citations) == ["Putin"]
    assert unsupported_facts("It has 12 warships and 49 years [1].", citations) == ["12"]


def test_unsupported_facts_compares_whole_numbers_not_substrings():
    citations = [cite(1, SEED_2066)]
    # '206' is not supported by a citation saying '2066' (nor '6', '20' or '9' by '49').
    assert unsupported_facts("Until 206 [1].", citations) == ["206"]


def test_a_piece_of_a_web_address_is_never_the_short_answer():
    sentence = "Laptop requests go to https://forms.example/Povb3KtiDz5LFBXZ9 for approval."
    assert short_answer("Who approves laptop requests?", sentence) is None
    assert (
        short_answer("Who leads the team?", "See https://x.example/Zq9Kx as the team is led by Alice Smith.")
        == "Alice Smith"
    )
