"""Public queries: stream, story, comment, viewer, node."""

from __future__ import annotations

import graphene
from graphene import relay

from comments.errors import StoryNotFound, TalkError
from comments.schema.context import decode_id, graphql_error, viewer_profile
from comments.schema.types import CommentNode, StoryNode, UserNode
from comments.selectors import comment_get_visible, story_get, story_get_by_url
from comments.services import story_find_or_create
from moderation.services import profile_ensure


class CommentsQueries(graphene.ObjectType):
    node = relay.Node.Field(description="Fetch any object by its global id.")
    stream = graphene.Field(
        StoryNode,
        story_id=graphene.ID(name="storyID", description="Global id of a known story."),
        story_url=graphene.String(
            name="storyURL",
            description="Canonical URL of the article (absolute http(s), max 2000 chars).",
        ),
        description=(
            "The embed's entry point (Coral's stream): the story by id, else by URL, "
            "created on first load when TALK['LAZY_STORY_CREATION'] is on and the URL's "
            "origin belongs to a site. Errors: STORY_NOT_FOUND, SITE_NOT_FOUND, "
            "STORY_URL_INVALID, INVALID_ID."
        ),
    )
    story = graphene.Field(
        StoryNode,
        id=graphene.ID(description="Global id of the story."),
        url=graphene.String(description="Canonical URL of the story."),
        description="A story by id or URL; null when none matches. Never creates.",
    )
    comment = graphene.Field(
        CommentNode,
        id=graphene.ID(required=True),
        description="A comment the viewer may see, else null.",
    )
    viewer = graphene.Field(UserNode, description="The signed-in user, or null.")

    @staticmethod
    def resolve_stream(root, info, story_id=None, story_url=None):
        try:
            if story_id:
                story = story_get(story_id=decode_id(story_id, "Story", field="storyID"))
                if story is None:
                    raise StoryNotFound(field="storyID")
                return story
            if not story_url:
                raise StoryNotFound("Give storyID or storyURL.", field="storyURL")
            return story_find_or_create(url=story_url)
        except TalkError as exc:
            raise graphql_error(exc) from exc

    @staticmethod
    def resolve_story(root, info, id=None, url=None):
        try:
            if id:
                return story_get(story_id=decode_id(id, "Story", field="id"))
        except TalkError as exc:
            raise graphql_error(exc) from exc
        if url:
            return story_get_by_url(url=url)
        return None

    @staticmethod
    def resolve_comment(root, info, id):
        try:
            comment_id = decode_id(id, "Comment", field="id")
        except TalkError as exc:
            raise graphql_error(exc) from exc
        return comment_get_visible(comment_id=comment_id, viewer=viewer_profile(info))

    @staticmethod
    def resolve_viewer(root, info):
        user = getattr(info.context, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # Users made outside sign-up (createsuperuser, a host site) get a profile now.
        return viewer_profile(info) or profile_ensure(user=user)
