"""factory_boy factories for the core models.

``CommentFactory`` derives ``story``, ``site``, ``ancestor_ids`` and ``depth`` from
``parent`` and keeps the denormalised counters the services maintain (the story's
``comment_count`` and the parent's ``reply_count`` count visible comments), so a
factory-built thread looks exactly like one posted through ``comment_create``.
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.db.models import F
from factory.django import DjangoModelFactory

from comments.models import VISIBLE_STATUSES, Comment, CommentStatus, Site, Story
from moderation.models import Profile, Role

PASSWORD = "a-Long-unusual-passphrase-42"


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"news{n}.example.com")
    allowed_origins = factory.LazyAttribute(lambda o: [f"https://{o.domain}"])
    premod_enabled = False


class StoryFactory(DjangoModelFactory):
    class Meta:
        model = Story

    site = factory.SubFactory(SiteFactory)
    url = factory.LazyAttributeSequence(lambda o, n: f"https://{o.site.domain}/articles/{n}")
    title = factory.Faker("sentence", nb_words=5)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)


class ProfileFactory(DjangoModelFactory):
    """A signed-up commenter: a Django user and its profile (``username`` shared)."""

    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    username = factory.LazyAttribute(lambda o: o.user.username if o.user else "unclaimed")
    role = Role.COMMENTER


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    class Params:
        text = factory.Faker("sentence", nb_words=8)

    parent = None
    story = factory.Maybe(
        "parent",
        yes_declaration=factory.SelfAttribute("parent.story"),
        no_declaration=factory.SubFactory(StoryFactory),
    )
    site = factory.SelfAttribute("story.site")
    author = factory.SubFactory(ProfileFactory)
    ancestor_ids = factory.LazyAttribute(
        lambda o: [*o.parent.ancestor_ids, str(o.parent.pk)] if o.parent else []
    )
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    body = factory.LazyAttribute(lambda o: f"<p>{o.text}</p>")
    status = CommentStatus.NONE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        comment = super()._create(model_class, *args, **kwargs)
        if comment.status in VISIBLE_STATUSES:
            Story.objects.filter(pk=comment.story_id).update(comment_count=F("comment_count") + 1)
            comment.story.refresh_from_db(fields=["comment_count"])
            if comment.parent is not None:
                Comment.objects.filter(pk=comment.parent_id).update(
                    reply_count=F("reply_count") + 1
                )
                comment.parent.refresh_from_db(fields=["reply_count"])
        return comment
