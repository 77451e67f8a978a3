"""Word-list matching: whole words, case- and accent-insensitive, linear time."""

import pytest

from moderation.wordlist import WordList, normalise_words


def test_normalise_words_folds_case_and_accents_and_splits_on_punctuation():
    assert normalise_words("Ça VA, d'accord? Straße ÇÖP") == [
        "ca",
        "va",
        "d",
        "accord",
        "strasse",
        "cop",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You IDIOT!", ["idiot"]),
        ("<p>you <b>idi</b>ot</p>", ["idiot"]),  # markup cannot split a word readers see whole
        ("idiots are fine", []),  # whole words only
        ("an ídíòt", ["idiot"]),  # accents on the comment side
        ("what a stupid   head", ["stupid head"]),  # phrases across whitespace
        ("stupid, head", ["stupid head"]),  # and punctuation
        ("stupid", []),
        ("çöp and cop", ["cop"]),  # accents on the list side; reported once
    ],
)
def test_find_matches_whole_words_and_phrases(text, expected):
    words = WordList.compile(["idiot", "Stupid Head", "çöp", "  "])
    assert words.find(text) == expected


def test_blank_list_matches_nothing_and_is_falsy():
    empty = WordList.compile(["", " ", "!!"])
    assert not empty
    assert empty.find("anything at all") == []


def test_large_list_does_not_change_the_result_for_unlisted_words():
    words = WordList.compile([f"word{i}" for i in range(50_000)] + ["needle"])
    assert words.find("hay " * 2_000 + "needle") == ["needle"]
    assert words.find("hay " * 2_000) == []
