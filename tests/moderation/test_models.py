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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "scoped_elsewhere", "tags"),
    [
        ("COMMENTER", False, []),
        ("MEMBER", False, ["MEMBER"]),
        ("STAFF", False, ["STAFF"]),
        ("MODERATOR", False, ["MODERATOR"]),
        ("MODERATOR", True, ["STAFF"]),  # a moderator of another site is staff here
        ("ADMIN", False, ["ADMIN"]),
    ],
)
def test_new_comments_carry_their_authors_role_tag(story, role, scoped_elsewhere, tags):
    # Coral's tagStaff / tagMember phases: the stream shows these tags as badges.
    from comments.services import comment_create
    from tests.factories import ProfileFactory, SiteFactory

    author = ProfileFactory(role=role)
    if scoped_elsewhere:
        author.moderation_sites.add(SiteFactory())
    comment = comment_create(story_id=story.pk, author=author.user, body="Hello")
    comment.refresh_from_db()
    assert comment.tags == tags
