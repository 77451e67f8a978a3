"""Input objects of the moderation mutations (``<Mutation>Input``, Coral's fields)."""

from __future__ import annotations

import graphene

from moderation.schema.types import RejectionReasonEnum

CLIENT_MUTATION_ID = "Echoed back in the payload (Relay)."


def comment_id_arg() -> graphene.ID:
    return graphene.ID(name="commentID", required=True, description="Global id of the comment.")


def user_id_arg() -> graphene.ID:
    return graphene.ID(name="userID", required=True, description="Global id of the user.")


class CommentActInput(graphene.InputObjectType):
    comment_id = comment_id_arg()
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)

    class Meta:
        abstract = True


class ApproveCommentInput(CommentActInput):
    pass


class FeatureCommentInput(CommentActInput):
    pass


class UnfeatureCommentInput(CommentActInput):
    pass


class RejectCommentInput(graphene.InputObjectType):
    comment_id = comment_id_arg()
    reason = RejectionReasonEnum(required=True, description="Why the comment is rejected.")
    additional_details = graphene.String(
        description="Explanation kept in the audit log; required for OTHER; max 2000 chars."
    )
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


class BanUserInput(graphene.InputObjectType):
    user_id = user_id_arg()
    message = graphene.String(description="Shown to the user; max 2000 chars.")
    site_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        name="siteIDs",
        description="Ban from these sites only; omitted or null: everywhere (moderators "
        "of every site and admins only).",
    )
    reject_existing_comments = graphene.Boolean(
        default_value=False,
        description="Also reject the user's published and held comments (on those sites).",
    )
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


class RemoveUserBanInput(graphene.InputObjectType):
    user_id = user_id_arg()
    site_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        name="siteIDs",
        description="Lift these site bans only; omitted or null: the ban everywhere and "
        "every site ban (moderators of every site and admins only).",
    )
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


class SuspendUserInput(graphene.InputObjectType):
    user_id = user_id_arg()
    timeout = graphene.Int(required=True, description="Seconds, 1 to 31536000 (one year).")
    message = graphene.String(description="Shown to the user; max 2000 chars.")
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


class WarnUserInput(graphene.InputObjectType):
    user_id = user_id_arg()
    message = graphene.String(
        required=True, description="Shown to the user until acknowledged; 1-2000 chars."
    )
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


class AcknowledgeWarningInput(graphene.InputObjectType):
    client_mutation_id = graphene.String(description=CLIENT_MUTATION_ID)


def user_input(mutation_name: str) -> type[graphene.InputObjectType]:
    """The input of a mutation taking only ``userID``: ``<mutation_name>Input``."""
    return type(
        f"{mutation_name}Input",
        (graphene.InputObjectType,),
        {
            "user_id": user_id_arg(),
            "client_mutation_id": graphene.String(description=CLIENT_MUTATION_ID),
        },
    )
