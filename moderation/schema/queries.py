"""Moderators' queries: the moderation queues."""

from __future__ import annotations

import graphene
from django.db.models import prefetch_related_objects

from comments.errors import PermissionDenied, TalkError
from comments.schema.context import decode_id, graphql_error
from moderation.schema.types import ModerationQueues, QueueScope
from moderation.selectors import profile_can_moderate
from moderation.services import profile_get_moderator


class ModerationQueries(graphene.ObjectType):
    moderation_queues = graphene.Field(
        ModerationQueues,
        site_id=graphene.ID(
            name="siteID", description="Only this site's comments (a site you moderate)."
        ),
        story_id=graphene.ID(name="storyID", description="Only this story's comments."),
        description=(
            "Counts and pages of the moderation queues (Coral's moderationQueues), limited "
            "to the sites the viewer moderates. MODERATOR and ADMIN only. Errors: "
            "NOT_AUTHENTICATED, PERMISSION_DENIED (also for a site you do not moderate), "
            "INVALID_ID."
        ),
    )

    @staticmethod
    def resolve_moderation_queues(root, info, site_id=None, story_id=None):
        try:
            moderator = profile_get_moderator(user=info.context.user)
            # Each queue checks the moderator's sites: read them once for the request.
            prefetch_related_objects([moderator], "moderation_sites")
            site = decode_id(site_id, "Site", field="siteID", optional=True)
            story = decode_id(story_id, "Story", field="storyID", optional=True)
            if site is not None and not profile_can_moderate(profile=moderator, site_id=site):
                raise PermissionDenied("You do not moderate this site.", field="siteID")
        except TalkError as exc:
            raise graphql_error(exc) from exc
        return QueueScope(moderator=moderator, site_id=site, story_id=story)
