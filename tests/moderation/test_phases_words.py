"""Banned and suspect word lists through the pipeline (admin-edited, one entry a line)."""

import pytest

from comments.models import CommentStatus, DetectedReason
from moderation import wordlist
from moderation.models import RejectionReason
from moderation.wordlist import WordList, wordlist_from_text
from tests.moderation.conftest import created_action, system_flags

pytestmark = pytest.mark.django_db

BANNED = DetectedReason.COMMENT_DETECTED_BANNED_WORD
SUSPECT = DetectedReason.COMMENT_DETECTED_SUSPECT_WORD


@pytest.fixture
def banned(moderation_settings):
    moderation_settings.banned_words = "idiot\r\nStupid Head\n\n   \nçöp\n"
    moderation_settings.save()
    return moderation_settings


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("You IDIOT!", "idiot"),
        ("an ídíòt", "idiot"),  # accents in the comment
        ("what a stupid,   head", "stupid head"),  # a phrase across punctuation and spaces
        ("<p>you <b>idi</b>ot</p>", "idiot"),  # markup cannot split a word readers see whole
        ("&lt;idiot&gt; in angle brackets", "idiot"),  # escaped text is still text
        ("COP and cop", "cop"),  # accents in the list; reported once
        ("Stupid head, idiot", "stupid head, idiot"),  # in the order found
    ],
)
def test_banned_word_matching_rejects(post, profile, banned, body, found):
    comment = post(profile, body)

    assert comment.status == CommentStatus.REJECTED
    assert system_flags(comment) == [(BANNED, found)]
    action = created_action(comment)
    assert (action.reasons, action.rejection_reason) == ([BANNED], RejectionReason.BANNED_WORD)


@pytest.mark.parametrize(
    "body",
    [
        "idiots and idiotic ideas",  # whole words only
        "stupid remarks, head first",  # a phrase needs its words together
        "stupidhead",
        "a perfectly polite comment",
    ],
)
def test_banned_list_leaves_other_words_alone(post, profile, banned, body):
    comment = post(profile, body)

    assert (comment.status, system_flags(comment)) == (CommentStatus.NONE, [])


def test_edited_list_applies_to_the_next_comment_without_restart(
    post, profile, moderation_settings
):
    # given
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()
    first = post(profile, "What a clown")

    # when: an admin adds a word
    moderation_settings.banned_words = "idiot\nclown"
    moderation_settings.save()
    second = post(profile, "Such a clown")

    # then; and removing it lets the word through again
    moderation_settings.banned_words = "idiot"
    moderation_settings.save()
    third = post(profile, "Clown shoes")
    assert [first.status, second.status, third.status] == [
        CommentStatus.NONE,
        CommentStatus.REJECTED,
        CommentStatus.NONE,
    ]


def test_suspect_and_banned_lists_are_separate(post, profile, moderation_settings):
    moderation_settings.banned_words = "idiot"
    moderation_settings.suspect_words = "Crook\nfake news"
    moderation_settings.save()

    comment = post(profile, "The crooks? No: one CROOK spreading Fake-News")

    assert comment.status == CommentStatus.NONE
    assert system_flags(comment) == [(SUSPECT, "crook, fake news")]


def test_lists_compile_once_per_text(post, profile, moderation_settings, monkeypatch):
    # given
    compiled: list[tuple[str, ...]] = []
    real = WordList.compile.__func__

    def counting(cls, entries):
        entries = tuple(entries)
        compiled.append(entries)
        return real(cls, entries)

    monkeypatch.setattr(WordList, "compile", classmethod(counting))
    wordlist_from_text.cache_clear()
    moderation_settings.banned_words = "idiot"
    moderation_settings.suspect_words = "scam"
    moderation_settings.save()

    # when
    for i in range(3):
        post(profile, f"Comment {i}")

    # then
    assert sorted(compiled) == [("idiot",), ("scam",)]
    assert wordlist.wordlist_from_text("idiot") is wordlist.wordlist_from_text("idiot")


def test_large_list_still_finds_the_word(post, profile, moderation_settings):
    moderation_settings.banned_words = "\n".join(f"word{i}" for i in range(20_000)) + "\nneedle"
    moderation_settings.save()

    comment = post(profile, "hay " * 1_000 + "needle")

    assert system_flags(comment) == [(BANNED, "needle")]
