"""GraphQL types of the comments app, named as in Coral's schema where Coral has them."""

from __future__ import annotations

import graphene
from django.utils import timezone
from graphene import relay
from graphene_django import DjangoObjectType

from comments.conf import talk_settings
from comments.errors import TalkError
from comments.models import Comment, CommentFlag, Site, Story
from comments.schema.context import encode_id, graphql_error, request_cache, viewer_profile
from comments.schema.lookahead import nested_replies_args
from comments.selectors import (
    CommentOrder,
    CommentPage,
    comment_get_visible,
    comment_ids_reacted,
    comment_page,
    comment_reply_pages,
)
from moderation.models import Profile

CommentStatusEnum = graphene.Enum(
    "COMMENT_STATUS",
    [(s, s) for s in ("NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD")],
    description="Coral's comment statuses; readers only ever see NONE and APPROVED.",
)
CommentSortEnum = graphene.Enum(
    "COMMENT_SORT",
    [(o.value, o.value) for o in CommentOrder],
    description="Sort orders of comment connections (Coral's COMMENT_SORT).",
)
UserRoleEnum = graphene.Enum(
    "USER_ROLE", [(r, r) for r in ("COMMENTER", "MEMBER", "STAFF", "MODERATOR", "ADMIN")]
)
StoryModeEnum = graphene.Enum(
    "STORY_MODE", [(m, m) for m in ("COMMENTS", "QA", "RATINGS_AND_REVIEWS")]
)
TagEnum = graphene.Enum(
    "TAG", [(t, t) for t in ("FEATURED", "STAFF", "MODERATOR", "ADMIN", "MEMBER")]
)


def enum_value(value):
    """Plain value of a graphene enum argument (graphene passes enum members)."""
    return getattr(value, "value", value)


def page_size(first: int | None, *, default: int | None = None) -> int:
    """Validate a connection's ``first`` (1..TALK["MAX_PAGE_SIZE"], default 20).

    Raises:
        GraphQLError: code PAGE_SIZE_INVALID when out of range.
    """
    if first is None:
        return default or talk_settings.DEFAULT_PAGE_SIZE
    maximum = talk_settings.MAX_PAGE_SIZE
    if not 1 <= first <= maximum:
        err = TalkError(f"first must be between 1 and {maximum}.", field="first")
        err.code = "PAGE_SIZE_INVALID"
        raise graphql_error(err)
    return first


class UserNode(DjangoObjectType):
    """A commenter. Imported authors who never signed up are unclaimed users."""

    role = UserRoleEnum(required=True, description="The user's role, lowest first.")
    email = graphene.String(description="Only shown to the user themself.")

    @staticmethod
    def resolve_role(profile: Profile, info):
        return str(profile.role)

    class Meta:
        model = Profile
        name = "User"
        interfaces = (relay.Node,)
        fields = ("id", "username", "created_at")

    @staticmethod
    def resolve_email(profile: Profile, info):
        viewer = viewer_profile(info)
        if viewer is None or viewer.pk != profile.pk or profile.user is None:
            return None
        return profile.user.email


class SiteNode(DjangoObjectType):
    """A newsroom property."""

    class Meta:
        model = Site
        name = "Site"
        interfaces = (relay.Node,)
        fields = ("id", "name", "domain", "created_at")


class StoryMetadata(graphene.ObjectType):
    """Metadata of a story, scraped or imported (Coral's StoryMetadata)."""

    title = graphene.String()
    author = graphene.String()
    description = graphene.String()
    image = graphene.String(description="Absolute URL of the story's image.")
    published_at = graphene.DateTime()
    section = graphene.String()


class CommentCounts(graphene.ObjectType):
    total_published = graphene.Int(
        required=True, description="Visible comments and replies (NONE or APPROVED)."
    )


class EditInfo(graphene.ObjectType):
    """Whether a comment was edited and until when its author may edit it."""

    edited = graphene.Boolean(required=True)
    editable_until = graphene.DateTime(
        required=True, description="Creation time + TALK['EDIT_WINDOW_SECONDS'] (UTC)."
    )


class ViewerActionPresence(graphene.ObjectType):
    """What the viewer has done to a comment; false for anonymous viewers."""

    reaction = graphene.Boolean(required=True)
    flag = graphene.Boolean(required=True)


class ReactionCount(graphene.ObjectType):
    total = graphene.Int(required=True)


class ActionCounts(graphene.ObjectType):
    reaction = graphene.Field(ReactionCount, required=True)


class Tag(graphene.ObjectType):
    code = TagEnum(required=True)


def _register_loaded(info, comments) -> None:
    request_cache(info).setdefault("loaded_ids", set()).update(c.pk for c in comments)


def _reply_cache_key(parent_id, order: CommentOrder, first: int):
    return ("replies", parent_id, order.value, first)


def _prefetch_nested_replies(info, connection_field, parents) -> None:
    """Prefetch reply pages for every level of ``replies`` selected below ``parents``.

    One query per nesting level, whatever the number of comments on the page.
    """
    viewer = viewer_profile(info)
    cache = request_cache(info)
    field_node, level = connection_field, list(parents)
    while level:
        nested = nested_replies_args(field_node, info)
        if nested is None:
            return
        field_node, args = nested
        if args.get("after"):
            return
        order = CommentOrder(enum_value(args.get("order_by")) or CommentOrder.CREATED_AT_ASC.value)
        first = page_size(args.get("first"), default=talk_settings.DEFAULT_PAGE_SIZE)
        pending = [c.pk for c in level if _reply_cache_key(c.pk, order, first) not in cache]
        pages = comment_reply_pages(parent_ids=pending, viewer=viewer, order=order, first=first)
        next_level = []
        for parent_id, page in pages.items():
            cache[_reply_cache_key(parent_id, order, first)] = page
            next_level.extend(page.items)
        _register_loaded(info, next_level)
        level = next_level


def build_connection(info, page: CommentPage) -> CommentConnection:
    _register_loaded(info, page.items)
    _prefetch_nested_replies(info, info.field_nodes[0], page.items)
    edges = [
        CommentConnection.Edge(node=comment, cursor=cursor)
        for comment, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return CommentConnection(
        edges=edges,
        nodes=page.items,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        ),
    )


def _connection_args(default_order: CommentOrder, default_first_description: str) -> dict:
    return {
        "first": graphene.Int(
            description=f"Page size, 1 to 100 (TALK['MAX_PAGE_SIZE']); {default_first_description}."
        ),
        "after": graphene.String(description="endCursor of the previous page, same orderBy."),
        "order_by": CommentSortEnum(
            default_value=default_order.value, description="Sort order of the page."
        ),
    }


class CommentNode(DjangoObjectType):
    """A comment or reply. Bodies are sanitised HTML (b, i, blockquote, lists, links)."""

    status = CommentStatusEnum(
        required=True,
        description="Readers see NONE/APPROVED only; an author also sees their own held "
        "comments (PREMOD, SYSTEM_WITHHELD), to be shown as awaiting review.",
    )
    author = graphene.Field(UserNode, description="Null when the author's account was deleted.")
    parent = graphene.Field(lambda: CommentNode, description="The comment this replies to.")
    story = graphene.Field(lambda: StoryNode, required=True)
    reply_count = graphene.Int(required=True, description="Visible direct replies.")
    action_counts = graphene.Field(ActionCounts, required=True)
    viewer_action_presence = graphene.Field(ViewerActionPresence, required=True)
    editing = graphene.Field(EditInfo, required=True)
    tags = graphene.List(graphene.NonNull(Tag), required=True)
    ancestor_ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="Global ids, root first."
    )
    replies = graphene.Field(
        lambda: CommentConnection,
        required=True,
        description="Replies to this comment (oldest first by default).",
        **_connection_args(CommentOrder.CREATED_AT_ASC, "default 20"),
    )

    class Meta:
        model = Comment
        name = "Comment"
        interfaces = (relay.Node,)
        fields = ("id", "body", "created_at", "edited_at", "depth")

    @classmethod
    def get_node(cls, info, id):
        return comment_get_visible(comment_id=id, viewer=viewer_profile(info))

    @staticmethod
    def resolve_status(comment: Comment, info):
        return str(comment.status)

    @staticmethod
    def resolve_parent(comment: Comment, info):
        if comment.parent_id is None:
            return None
        return comment_get_visible(comment_id=comment.parent_id, viewer=viewer_profile(info))

    @staticmethod
    def resolve_story(comment: Comment, info):
        stories = request_cache(info).setdefault("stories", {})
        if comment.story_id not in stories:
            stories[comment.story_id] = Story.objects.select_related("site").get(
                pk=comment.story_id
            )
        return stories[comment.story_id]

    @staticmethod
    def resolve_action_counts(comment: Comment, info):
        return ActionCounts(reaction=ReactionCount(total=comment.reaction_count))

    @staticmethod
    def resolve_viewer_action_presence(comment: Comment, info):
        viewer = viewer_profile(info)
        if viewer is None:
            return ViewerActionPresence(reaction=False, flag=False)
        cache = request_cache(info)
        presence = cache.setdefault("presence", {})
        if comment.pk not in presence:
            ids = (cache.get("loaded_ids", set()) | {comment.pk}) - set(presence)
            reacted = comment_ids_reacted(viewer=viewer, comment_ids=ids)
            flagged = set(
                CommentFlag.objects.filter(reporter=viewer, comment_id__in=ids).values_list(
                    "comment_id", flat=True
                )
            )
            for cid in ids:
                presence[cid] = (cid in reacted, cid in flagged)
        reaction, flag = presence[comment.pk]
        return ViewerActionPresence(reaction=reaction, flag=flag)

    @staticmethod
    def resolve_editing(comment: Comment, info):
        return EditInfo(
            edited=comment.edited_at is not None,
            editable_until=comment.edit_window_ends_at(
                window_seconds=talk_settings.EDIT_WINDOW_SECONDS
            ),
        )

    @staticmethod
    def resolve_tags(comment: Comment, info):
        return [Tag(code=code) for code in comment.tags]

    @staticmethod
    def resolve_ancestor_ids(comment: Comment, info):
        return [encode_id("Comment", pk) for pk in comment.ancestor_ids]

    @staticmethod
    def resolve_replies(comment: Comment, info, order_by=None, first=None, after=None):
        order = CommentOrder(enum_value(order_by) or CommentOrder.CREATED_AT_ASC.value)
        size = page_size(first)
        page = None
        if not after:
            page = request_cache(info).get(_reply_cache_key(comment.pk, order, size))
        if page is None:
            try:
                page = comment_page(
                    story_id=comment.story_id,
                    viewer=viewer_profile(info),
                    parent_id=comment.pk,
                    order=order,
                    first=size,
                    after=after,
                )
            except TalkError as exc:
                raise graphql_error(exc) from exc
        return build_connection(info, page)


class CommentConnection(relay.Connection):
    """A page of comments: ``edges`` (cursor + node), ``nodes`` and ``pageInfo``."""

    nodes = graphene.List(graphene.NonNull(CommentNode), required=True)

    class Meta:
        node = CommentNode
        name = "CommentsConnection"


class StoryNode(DjangoObjectType):
    """An article carrying a comment stream."""

    metadata = graphene.Field(StoryMetadata, required=True)
    is_closed = graphene.Boolean(required=True)
    mode = StoryModeEnum(required=True)
    site = graphene.Field(SiteNode, required=True)
    comment_counts = graphene.Field(CommentCounts, required=True)
    comments = graphene.Field(
        CommentConnection,
        required=True,
        description="Top-level comments the viewer may see (newest first by default).",
        **_connection_args(CommentOrder.CREATED_AT_DESC, "default 20"),
    )

    class Meta:
        model = Story
        name = "Story"
        interfaces = (relay.Node,)
        fields = ("id", "url", "created_at", "closed_at")

    @staticmethod
    def resolve_metadata(story: Story, info):
        return StoryMetadata(
            title=story.title or None,
            author=story.author or None,
            description=story.description or None,
            image=story.image_url or None,
            published_at=story.published_at,
            section=story.section or None,
        )

    @staticmethod
    def resolve_is_closed(story: Story, info):
        return story.is_closed(now=timezone.now())

    @staticmethod
    def resolve_mode(story: Story, info):
        return str(story.mode)

    @staticmethod
    def resolve_comment_counts(story: Story, info):
        return CommentCounts(total_published=story.comment_count)

    @staticmethod
    def resolve_comments(story: Story, info, order_by=None, first=None, after=None):
        order = CommentOrder(enum_value(order_by) or CommentOrder.CREATED_AT_DESC.value)
        try:
            page = comment_page(
                story_id=story.pk,
                viewer=viewer_profile(info),
                parent_id=None,
                order=order,
                first=page_size(first),
                after=after,
            )
        except TalkError as exc:
            raise graphql_error(exc) from exc
        return build_connection(info, page)


class CommentsError(graphene.ObjectType):
    """An error returned as data by a mutation; ``code`` is stable, ``message`` human."""

    code = graphene.String(required=True, description="Stable code, e.g. STORY_CLOSED.")
    message = graphene.String(required=True)
    field = graphene.String(description="The input field at fault, when one is.")
