"""Writes of the moderation app (STYLE.md §1: a package past ~400 lines).

- :mod:`.accounts`: profiles and local accounts;
- :mod:`.comment_status`: every comment status change after creation (STYLE.md rule 2),
  approve / reject / feature, and the rejector;
- :mod:`.user_status`: bans, suspensions, pre-moderation, warnings, moderator notes;
- :mod:`.roles`: roles, site scopes and the Django groups they map onto.

Import from here (``from moderation.services import comment_approve``); the submodules
are an implementation detail.
"""

from moderation.services.accounts import (
    account_sign_in,
    account_sign_out,
    account_sign_up,
    profile_ensure,
)
from moderation.services.comment_status import (
    comment_approve,
    comment_feature,
    comment_queue_events_dispatch,
    comment_reject,
    comment_status_set,
    comment_unfeature,
    comment_webhook_data,
    user_comments_reject,
)
from moderation.services.roles import TALK_GROUPS, profile_role_set, talk_groups_ensure
from moderation.services.user_status import (
    moderator_note_create,
    moderator_note_delete,
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

__all__ = [
    "TALK_GROUPS",
    "account_sign_in",
    "account_sign_out",
    "account_sign_up",
    "comment_approve",
    "comment_feature",
    "comment_queue_events_dispatch",
    "comment_reject",
    "comment_status_set",
    "comment_webhook_data",
    "comment_unfeature",
    "moderator_note_create",
    "moderator_note_delete",
    "profile_ensure",
    "profile_get_moderator",
    "profile_role_set",
    "talk_groups_ensure",
    "user_ban",
    "user_ban_remove",
    "user_comments_reject",
    "user_premod",
    "user_premod_remove",
    "user_suspend",
    "user_suspension_remove",
    "user_warn",
    "user_warning_acknowledge",
    "user_warning_remove",
]
