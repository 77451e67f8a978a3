import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from comments import conf
from comments.conf import DEFAULTS, talk_settings
from moderation import phases


def test_defaults_apply_when_talk_sets_nothing(settings):
    settings.TALK = {}

    assert talk_settings.EDIT_WINDOW_SECONDS == 30
    assert talk_settings.MAX_COMMENT_CHARS == 5000
    assert talk_settings.MAX_PAGE_SIZE == 100
    assert [
        phases.repeat_post,
        phases.staff_approved,
        phases.banned_words,
        phases.suspect_words,
        phases.toxicity,
        phases.recent_history,
        phases.spam,
        phases.links,
        phases.new_commenter,
        phases.premod_user,
        phases.premod_story,
    ] == talk_settings.MODERATION_PHASES


def test_missing_talk_setting_uses_defaults(settings):
    del settings.TALK

    assert talk_settings.LAZY_STORY_CREATION is True


def test_unknown_key_is_improperly_configured(settings):
    settings.TALK = {"MAX_COMMENT_CHARZ": 10}

    with pytest.raises(ImproperlyConfigured, match="Unknown key TALK\\['MAX_COMMENT_CHARZ'\\]"):
        talk_settings.EDIT_WINDOW_SECONDS  # noqa: B018


def test_removed_key_is_improperly_configured(settings, monkeypatch):
    monkeypatch.setattr(conf, "REMOVED", {"OLD_KEY"})
    settings.TALK = {"OLD_KEY": 1}

    with pytest.raises(ImproperlyConfigured, match="TALK\\['OLD_KEY'\\] was removed"):
        talk_settings.EDIT_WINDOW_SECONDS  # noqa: B018


def test_unknown_attribute_is_attribute_error():
    with pytest.raises(AttributeError):
        talk_settings.NOT_A_SETTING  # noqa: B018


def test_override_settings_reloads_cached_values(settings):
    settings.TALK = {}
    assert talk_settings.EDIT_WINDOW_SECONDS == 30  # cached now

    with override_settings(TALK={"EDIT_WINDOW_SECONDS": 90}):
        assert talk_settings.EDIT_WINDOW_SECONDS == 90

    assert talk_settings.EDIT_WINDOW_SECONDS == 30


def test_settings_fixture_override_reloads(settings):
    assert talk_settings.MAX_COMMENT_CHARS == 5000

    settings.TALK = {"MAX_COMMENT_CHARS": 12}

    assert talk_settings.MAX_COMMENT_CHARS == 12


def test_other_settings_do_not_drop_the_cache(settings):
    talk_settings.MAX_COMMENT_CHARS  # noqa: B018
    talk_settings._cache["MAX_COMMENT_CHARS"] = 7

    settings.DEBUG = not settings.DEBUG

    assert talk_settings.MAX_COMMENT_CHARS == 7


def test_import_strings_are_resolved(settings):
    settings.TALK = {"MODERATION_PHASES": ["moderation.phases.premod_story"]}

    assert [phases.premod_story] == talk_settings.MODERATION_PHASES


@pytest.mark.parametrize(
    "path",
    ["moderation.phases.no_such_phase", "no_such_module.phase", "notdotted"],
)
def test_bad_import_string_is_improperly_configured(settings, path):
    settings.TALK = {"MODERATION_PHASES": [path]}

    with pytest.raises(ImproperlyConfigured, match="TALK\\['MODERATION_PHASES'\\]"):
        talk_settings.MODERATION_PHASES  # noqa: B018


def test_every_default_is_readable(settings):
    settings.TALK = {}

    assert {key: getattr(talk_settings, key) for key in DEFAULTS if key != "MODERATION_PHASES"} == {
        key: value for key, value in DEFAULTS.items() if key != "MODERATION_PHASES"
    }
