"""Model-level rules of the moderation app."""

import pytest


@pytest.mark.django_db
def test_external_checks_cannot_be_enabled_without_api_keys(settings):
    from django.core.exceptions import ValidationError

    from moderation.models import SiteModerationSettings
    from tests.factories import SiteFactory

    moderation = SiteModerationSettings(
        site=SiteFactory(), spam_check_enabled=True, toxicity_check_enabled=True
    )
    with pytest.raises(ValidationError) as refused:
        moderation.full_clean()
    assert set(refused.value.message_dict) == {"spam_check_enabled", "toxicity_check_enabled"}
    settings.TALK = {"AKISMET_API_KEY": "k", "PERSPECTIVE_API_KEY": "p"}
    moderation.full_clean()  # accepted once both keys exist
