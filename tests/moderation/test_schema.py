"""Moderation mutations over GraphQL: the permission matrix, and errors as data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from comments.models import CommentAction, CommentStatus
from moderation.models import SiteBan, UserStanding, UserStatusAction
from tests.moderation.world import ACTORS, MODERATORS, World, build_world, snapshot

pytestmark = pytest.mark.django_db

COMMENT_PAYLOAD = "comment { id status tags { code } }"
USER_PAYLOAD = "user { id username }"


def mutation(name: str, input_type: str, payload: str) -> str:
    return f"""
        mutation Act($input: {input_type}!) {{
          {name}(input: $input) {{ errors {{ code field }} clientMutationId {payload} }}
        }}
    """


ACKNOWLEDGE_WARNING = """
    mutation { acknowledgeWarning { errors { code field } user { id username } } }
"""


def gid(kind: str, pk) -> str:
    return to_global_id(kind, str(pk))


def standing(world: World) -> UserStanding:
    return UserStanding.objects.get(profile=world.author)


def _nothing(world: World) -> None:
    pass


@dataclass
class Case:
    """One mutation of the matrix: how to call it, what must hold before and after."""

    name: str
    input_type: str
    payload_field: str
    variables: Callable[[World], dict]
    then: Callable[[World], bool]  # the effect, once allowed
    given: Callable[[World], None] = _nothing
    allowed: set[str] = field(default_factory=lambda: set(MODERATORS))

    @property
    def document(self) -> str:
        payload = COMMENT_PAYLOAD if self.payload_field == "comment" else USER_PAYLOAD
        return mutation(self.name, self.input_type, payload)


def on_comment(name: str):
    return lambda w: {"input": {"commentID": gid("Comment", w.comments[name].pk)}}


def on_author(**extra):
    def variables(w: World) -> dict:
        resolved = {
            key: [gid("Site", getattr(w, site).pk) for site in value] if key == "siteIDs" else value
            for key, value in extra.items()
        }
        return {"input": {"userID": gid("User", w.author.pk), **resolved}}

    return variables


def _featured(w: World) -> None:
    type(w.comments["a_none"]).objects.filter(pk=w.comments["a_none"].pk).update(tags=["FEATURED"])


def _banned(w: World) -> None:
    UserStanding.objects.create(profile=w.author, is_banned=True)
    SiteBan.objects.create(profile=w.author, site=w.site_b)


def _site_banned_b(w: World) -> None:
    SiteBan.objects.create(profile=w.author, site=w.site_b)


def _suspended(w: World) -> None:
    UserStanding.objects.create(
        profile=w.author, suspended_until=timezone.now() + timedelta(hours=1)
    )


def _premod(w: World) -> None:
    UserStanding.objects.create(profile=w.author, is_premod=True)


def _warned(w: World) -> None:
    UserStanding.objects.create(profile=w.author, warning_message="Careful")


def _then_comment(name: str, status: str, tags: list[str], open_flags: int, reason: str = ""):
    def then(w: World) -> bool:
        comment = w.comment(name)
        action = CommentAction.objects.filter(comment=comment, to_status=status).first()
        return (comment.status, comment.tags, comment.open_flag_count) == (
            status,
            tags,
            open_flags,
        ) and (not reason or action.rejection_reason == reason)

    return then


CASES = [
    Case(
        "approveComment",
        "ApproveCommentInput",
        "comment",
        on_comment("a_flagged"),
        _then_comment("a_flagged", CommentStatus.APPROVED, [], 0),
    ),
    Case(
        "rejectComment",
        "RejectCommentInput",
        "comment",
        lambda w: {
            "input": {"commentID": gid("Comment", w.comments["a_flagged"].pk), "reason": "ABUSIVE"}
        },
        _then_comment("a_flagged", CommentStatus.REJECTED, [], 0, reason="ABUSIVE"),
    ),
    Case(
        "featureComment",
        "FeatureCommentInput",
        "comment",
        on_comment("a_none"),
        _then_comment("a_none", CommentStatus.APPROVED, ["FEATURED"], 0),
    ),
    Case(
        "unfeatureComment",
        "UnfeatureCommentInput",
        "comment",
        on_comment("a_none"),
        _then_comment("a_none", CommentStatus.NONE, [], 0),
        given=_featured,
    ),
    Case(
        "banUser",
        "BanUserInput",
        "user",
        on_author(message="Abuse"),
        lambda w: standing(w).is_banned,
    ),
    Case(
        "banUser",
        "BanUserInput",
        "user",
        on_author(siteIDs=["site_a"]),
        lambda w: SiteBan.objects.filter(profile=w.author, site=w.site_a).exists(),
    ),
    Case(
        "banUser",
        "BanUserInput",
        "user",
        on_author(siteIDs=["site_b"]),
        lambda w: SiteBan.objects.filter(profile=w.author, site=w.site_b).exists(),
        allowed={*MODERATORS, "other_site_moderator"},
    ),
    Case(
        "removeUserBan",
        "RemoveUserBanInput",
        "user",
        on_author(),
        lambda w: (standing(w).is_banned, SiteBan.objects.count()) == (False, 0),
        given=_banned,
    ),
    Case(
        "removeUserBan",
        "RemoveUserBanInput",
        "user",
        on_author(siteIDs=["site_b"]),
        lambda w: not SiteBan.objects.exists(),
        given=_site_banned_b,
        allowed={*MODERATORS, "other_site_moderator"},
    ),
    Case(
        "suspendUser",
        "SuspendUserInput",
        "user",
        on_author(timeout=3600, message="Cool off"),
        lambda w: standing(w).is_suspended(),
    ),
    Case(
        "removeUserSuspension",
        "RemoveUserSuspensionInput",
        "user",
        on_author(),
        lambda w: standing(w).suspended_until is None,
        given=_suspended,
    ),
    Case(
        "premodUser",
        "PremodUserInput",
        "user",
        on_author(),
        lambda w: standing(w).is_premod,
    ),
    Case(
        "removeUserPremod",
        "RemoveUserPremodInput",
        "user",
        on_author(),
        lambda w: not standing(w).is_premod,
        given=_premod,
    ),
    Case(
        "warnUser",
        "WarnUserInput",
        "user",
        on_author(message="Mind the rules"),
        lambda w: standing(w).warning_message == "Mind the rules",
    ),
    Case(
        "removeUserWarning",
        "RemoveUserWarningInput",
        "user",
        on_author(),
        lambda w: standing(w).warning_message == "",
        given=_warned,
    ),
]


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}:{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("actor", ACTORS)
def test_permission_matrix(world, graphql_for, case, actor):
    # given
    case.given(world)
    before = snapshot()
    variables = case.variables(world)
    variables["input"]["clientMutationId"] = "m-1"

    # when
    result = graphql_for(world.actors[actor])(case.document, variables)

    # then
    assert "errors" not in result, result
    payload = result["data"][case.name]
    if actor in case.allowed:
        assert (payload["errors"], payload["clientMutationId"]) == ([], "m-1")
        assert payload[case.payload_field] is not None
        assert case.then(world)
    else:
        code = "NOT_AUTHENTICATED" if actor == "anonymous" else "PERMISSION_DENIED"
        assert payload == {
            "errors": [{"code": code, "field": None}],
            "clientMutationId": "m-1",
            case.payload_field: None,
        }
        assert snapshot() == before


@pytest.mark.parametrize("actor", ACTORS)
def test_acknowledge_warning_acts_on_the_viewer_only(world, graphql_for, actor):
    # given: everyone has a warning
    for profile in [world.author, *filter(None, world.actors.values())]:
        UserStanding.objects.create(profile=profile, warning_message=f"Hey {profile.username}")
    before = snapshot()

    # when
    result = graphql_for(world.actors[actor])(ACKNOWLEDGE_WARNING)

    # then
    payload = result["data"]["acknowledgeWarning"]
    if actor == "anonymous":
        assert payload == {"errors": [{"code": "NOT_AUTHENTICATED", "field": None}], "user": None}
        assert snapshot() == before
        return
    profile = world.actors[actor]
    assert payload == {
        "errors": [],
        "user": {"id": gid("User", profile.pk), "username": profile.username},
    }
    acknowledged = UserStanding.objects.filter(warning_acknowledged_at__isnull=False)
    assert list(acknowledged.values_list("profile_id", flat=True)) == [profile.pk]
    assert list(UserStatusAction.objects.values_list("profile_id", "actor_id", "kind")) == [
        (profile.pk, profile.pk, "ACKNOWLEDGE_WARNING")
    ]


# errors as data


REJECT = mutation("rejectComment", "RejectCommentInput", COMMENT_PAYLOAD)
BAN = mutation("banUser", "BanUserInput", USER_PAYLOAD)
SUSPEND = mutation("suspendUser", "SuspendUserInput", USER_PAYLOAD)
APPROVE = mutation("approveComment", "ApproveCommentInput", COMMENT_PAYLOAD)


@pytest.mark.parametrize(
    ("document", "make_input", "error"),
    [
        (
            REJECT,
            lambda w: {"commentID": gid("Comment", w.comments["a_none"].pk), "reason": "OTHER"},
            {"code": "REJECTION_NOTE_REQUIRED", "field": "additionalDetails"},
        ),
        (
            APPROVE,
            lambda w: {"commentID": gid("Comment", w.author.pk)},
            {"code": "COMMENT_NOT_FOUND", "field": "commentID"},
        ),
        (
            APPROVE,
            lambda w: {"commentID": gid("Story", w.story_a1.pk)},
            {"code": "INVALID_ID", "field": "commentID"},
        ),
        (
            BAN,
            lambda w: {"userID": gid("User", w.story_a1.pk)},
            {"code": "USER_NOT_FOUND", "field": "userID"},
        ),
        (
            BAN,
            lambda w: {"userID": gid("User", w.author.pk), "siteIDs": []},
            {"code": "SITE_IDS_REQUIRED", "field": "siteIDs"},
        ),
        (
            BAN,
            lambda w: {"userID": gid("User", w.author.pk), "siteIDs": [gid("Site", w.author.pk)]},
            {"code": "SITE_NOT_FOUND", "field": "siteIDs"},
        ),
        (
            BAN,
            lambda w: {"userID": gid("User", w.actors["admin"].pk)},
            {"code": "PERMISSION_DENIED", "field": None},
        ),
        (
            SUSPEND,
            lambda w: {"userID": gid("User", w.author.pk), "timeout": 0},
            {"code": "SUSPENSION_TIMEOUT_INVALID", "field": "timeout"},
        ),
    ],
)
def test_invalid_input_is_an_error_and_changes_nothing(
    world, graphql_for, document, make_input, error
):
    before = snapshot()

    result = graphql_for(world.actors["moderator"])(document, {"input": make_input(world)})

    payload = next(iter(result["data"].values()))
    assert payload["errors"] == [error]
    assert snapshot() == before


def test_non_moderators_cannot_probe_ids(world, graphql_for):
    result = graphql_for(world.actors["commenter"])(
        APPROVE, {"input": {"commentID": gid("Comment", world.author.pk)}}
    )

    assert result["data"]["approveComment"]["errors"] == [
        {"code": "PERMISSION_DENIED", "field": None}
    ]


def test_banning_twice_reports_already_banned(world, graphql_for):
    graphql = graphql_for(world.actors["moderator"])
    variables = {"input": {"userID": gid("User", world.author.pk), "message": "Out"}}
    graphql(BAN, variables)
    before = snapshot()

    result = graphql(BAN, variables)

    assert result["data"]["banUser"]["errors"] == [{"code": "USER_ALREADY_BANNED", "field": None}]
    assert snapshot() == before


def test_rejecting_returns_the_rejected_comment_to_the_moderator(world, graphql_for):
    comment = world.comments["a_flagged"]

    result = graphql_for(world.actors["admin"])(
        REJECT,
        {
            "input": {
                "commentID": gid("Comment", comment.pk),
                "reason": "OTHER",
                "additionalDetails": "Personal data",
            }
        },
    )

    assert result["data"]["rejectComment"] == {
        "errors": [],
        "clientMutationId": None,
        "comment": {"id": gid("Comment", comment.pk), "status": "REJECTED", "tags": []},
    }
    action = CommentAction.objects.get(comment=comment, to_status="REJECTED")
    assert (action.rejection_reason, action.note, action.actor) == (
        "OTHER",
        "Personal data",
        world.actors["admin"],
    )
