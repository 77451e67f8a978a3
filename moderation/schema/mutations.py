"""Moderators' mutations (Coral's names): comment decisions and user moderation.

Each decodes ids, calls one service and maps :class:`~comments.errors.TalkError` to
``errors`` in its payload; a mutation that returns errors changed nothing. Moderator
mutations check the role before looking anything up (:func:`profile_get_moderator`).
"""

from __future__ import annotations

import graphene

from comments.errors import CommentNotFound
from comments.models import Comment
from comments.schema.context import decode_id
from comments.schema.mutations import TalkMutation
from comments.schema.types import CommentNode, UserNode, enum_value
from comments.selectors import comment_get
from moderation.errors import UserNotFound
from moderation.models import Profile
from moderation.schema.inputs import (
    CLIENT_MUTATION_ID,
    AcknowledgeWarningInput,
    ApproveCommentInput,
    BanUserInput,
    FeatureCommentInput,
    RejectCommentInput,
    RemoveUserBanInput,
    SuspendUserInput,
    UnfeatureCommentInput,
    WarnUserInput,
    user_input,
)
from moderation.schema.types import ModerationError
from moderation.selectors import profile_get
from moderation.services import (
    comment_approve,
    comment_feature,
    comment_reject,
    comment_unfeature,
    profile_ensure,
    profile_get_moderator,
    user_ban,
    user_ban_remove,
    user_premod,
    user_premod_remove,
    user_suspend,
    user_suspension_remove,
    user_warn,
    user_warning_acknowledge,
    user_warning_remove,
)


class ModerationMutation(TalkMutation):
    """Base of the moderation mutations: errors are ``ModerationError``."""

    error_type = ModerationError
    errors = graphene.List(
        graphene.NonNull(ModerationError),
        required=True,
        description="Empty on success; otherwise why nothing changed.",
    )
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)

    class Meta:
        abstract = True


def _moderator(info) -> Profile:
    return profile_get_moderator(user=info.context.user)


def _comment(input) -> Comment:
    comment = comment_get(comment_id=decode_id(input.comment_id, "Comment", field="commentID"))
    if comment is None:
        raise CommentNotFound(field="commentID")
    return comment


def _user(input) -> Profile:
    profile = profile_get(profile_id=decode_id(input.user_id, "User", field="userID"))
    if profile is None:
        raise UserNotFound(field="userID")
    return profile


def _site_ids(input) -> list | None:
    if input.get("site_ids") is None:
        return None
    return [decode_id(site_id, "Site", field="siteIDs") for site_id in input.site_ids]


def _comment_payload() -> graphene.Field:
    return graphene.Field(CommentNode, description="The comment after the change; null on error.")


def _user_payload() -> graphene.Field:
    return graphene.Field(UserNode, description="The user after the change; null on error.")


# Comments


class ApproveComment(ModerationMutation):
    """Approve a comment (publish it) and resolve its reports. MODERATOR (of the comment's
    site) or ADMIN. Errors: NOT_AUTHENTICATED, PERMISSION_DENIED, COMMENT_NOT_FOUND,
    INVALID_ID."""

    class Arguments:
        input = ApproveCommentInput(required=True, description="The comment to approve.")

    comment = _comment_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        return {"comment": comment_approve(comment=_comment(input), moderator=moderator)}


class RejectComment(ModerationMutation):
    """Reject a comment (hide it from readers) and resolve its reports. MODERATOR (of the
    comment's site) or ADMIN. Errors: those of approveComment and REJECTION_NOTE_REQUIRED."""

    class Arguments:
        input = RejectCommentInput(required=True, description="The comment and the reason.")

    comment = _comment_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        comment = comment_reject(
            comment=_comment(input),
            moderator=moderator,
            reason=enum_value(input.reason),
            note=input.additional_details or "",
        )
        return {"comment": comment}


class FeatureComment(ModerationMutation):
    """Feature a published comment (FEATURED tag), approving it if needed. MODERATOR (of
    the comment's site) or ADMIN. Errors: those of approveComment and
    COMMENT_NOT_VISIBLE (held or rejected)."""

    class Arguments:
        input = FeatureCommentInput(required=True, description="The comment to feature.")

    comment = _comment_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        return {"comment": comment_feature(comment=_comment(input), moderator=moderator)}


class UnfeatureComment(ModerationMutation):
    """Remove the FEATURED tag of a comment. MODERATOR (of the comment's site) or ADMIN.
    Errors: those of approveComment."""

    class Arguments:
        input = UnfeatureCommentInput(required=True, description="The comment to unfeature.")

    comment = _comment_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        return {"comment": comment_unfeature(comment=_comment(input), moderator=moderator)}


# Users


class BanUser(ModerationMutation):
    """Ban a user everywhere or from some sites. Errors: NOT_AUTHENTICATED,
    PERMISSION_DENIED, USER_NOT_FOUND, SITE_NOT_FOUND, SITE_IDS_REQUIRED,
    USER_ALREADY_BANNED, INVALID_ID."""

    class Arguments:
        input = BanUserInput(required=True, description="Who, where, and why.")

    user = _user_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        profile = _user(input)
        user_ban(
            profile=profile,
            moderator=moderator,
            message=input.message or "",
            site_ids=_site_ids(input),
            reject_existing_comments=bool(input.reject_existing_comments),
        )
        return {"user": profile}


class RemoveUserBan(ModerationMutation):
    """Lift a user's bans. Errors: those of banUser but USER_ALREADY_BANNED."""

    class Arguments:
        input = RemoveUserBanInput(required=True, description="Who, and where.")

    user = _user_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        profile = _user(input)
        user_ban_remove(profile=profile, moderator=moderator, site_ids=_site_ids(input))
        return {"user": profile}


class SuspendUser(ModerationMutation):
    """Suspend a user from commenting for ``timeout`` seconds. Moderators of every site
    and admins. Errors: NOT_AUTHENTICATED, PERMISSION_DENIED, USER_NOT_FOUND,
    SUSPENSION_TIMEOUT_INVALID, USER_ALREADY_SUSPENDED, INVALID_ID."""

    class Arguments:
        input = SuspendUserInput(required=True, description="Who, how long, and why.")

    user = _user_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        profile = _user(input)
        user_suspend(
            profile=profile,
            moderator=moderator,
            seconds=input.timeout,
            message=input.message or "",
        )
        return {"user": profile}


def _user_act(name: str, service, doc: str) -> type[ModerationMutation]:
    """A mutation taking ``userID`` only, calling ``service(profile=, moderator=)``."""
    input_type = user_input(name)

    class Act(ModerationMutation):
        class Meta:
            abstract = True

        class Arguments:
            input = input_type(required=True, description="The user.")

        user = _user_payload()

        @classmethod
        def perform(cls, info, input):
            moderator = _moderator(info)
            profile = _user(input)
            service(profile=profile, moderator=moderator)
            return {"user": profile}

    return type(name, (Act,), {"__doc__": doc})


USER_ERRORS = "Errors: NOT_AUTHENTICATED, PERMISSION_DENIED, USER_NOT_FOUND, INVALID_ID."

RemoveUserSuspension = _user_act(
    "RemoveUserSuspension",
    user_suspension_remove,
    f"End a user's suspension now. Moderators of every site and admins. {USER_ERRORS}",
)
PremodUser = _user_act(
    "PremodUser",
    user_premod,
    "Hold every future comment of a user for review. Moderators of every site and "
    f"admins. {USER_ERRORS[:-1]}, USER_ALREADY_PREMOD.",
)
RemoveUserPremod = _user_act(
    "RemoveUserPremod",
    user_premod_remove,
    f"Stop pre-moderating a user. Moderators of every site and admins. {USER_ERRORS}",
)
RemoveUserWarning = _user_act(
    "RemoveUserWarning",
    user_warning_remove,
    f"Withdraw a user's warning. Moderators of every site and admins. {USER_ERRORS}",
)


class WarnUser(ModerationMutation):
    """Warn a user; they see the message until they acknowledge it. Moderators of every
    site and admins. Errors: NOT_AUTHENTICATED, PERMISSION_DENIED, USER_NOT_FOUND,
    MESSAGE_REQUIRED, INVALID_ID."""

    class Arguments:
        input = WarnUserInput(required=True, description="Who, and the message.")

    user = _user_payload()

    @classmethod
    def perform(cls, info, input):
        moderator = _moderator(info)
        profile = _user(input)
        user_warn(profile=profile, moderator=moderator, message=input.message)
        return {"user": profile}


class AcknowledgeWarning(ModerationMutation):
    """Acknowledge the viewer's own warning (a no-op without one). Errors:
    NOT_AUTHENTICATED."""

    class Arguments:
        input = AcknowledgeWarningInput(required=False, description="Nothing but the id.")

    user = graphene.Field(UserNode, description="The viewer; null on error.")

    @classmethod
    def mutate(cls, root, info, input=None):
        return super().mutate(root, info, input or {})

    @classmethod
    def perform(cls, info, input):
        profile = profile_ensure(user=info.context.user)
        user_warning_acknowledge(profile=profile)
        return {"user": profile}


class ModerationMutations(graphene.ObjectType):
    approve_comment = ApproveComment.Field()
    reject_comment = RejectComment.Field()
    feature_comment = FeatureComment.Field()
    unfeature_comment = UnfeatureComment.Field()
    ban_user = BanUser.Field()
    remove_user_ban = RemoveUserBan.Field()
    suspend_user = SuspendUser.Field()
    remove_user_suspension = RemoveUserSuspension.Field()
    premod_user = PremodUser.Field()
    remove_user_premod = RemoveUserPremod.Field()
    warn_user = WarnUser.Field()
    remove_user_warning = RemoveUserWarning.Field()
    acknowledge_warning = AcknowledgeWarning.Field()
