"""The moderation console inside the Django admin: queues, the comment page, the user page.

The views are thin (STYLE.md §0): they parse the request with a form from
``moderation.admin_forms``, call one service or selector, and render. Every act goes
through ``moderation.services``, so it is audited, counted and published like any other.
``CommentAdmin.get_urls`` mounts :class:`ModerationConsole` and ``ProfileAdmin.get_urls``
mounts :class:`UserModeration`, inside ``admin_site.admin_view`` (staff only,
CSRF-protected, never cached); each view then checks the ``talk_moderation`` permission
it needs and that the user's role is MODERATOR or ADMIN, and the services check the
moderator's sites.

- :mod:`.common`: permissions, the moderator, labels;
- :mod:`.cards`: what a comment card shows, loaded in a constant number of queries;
- :mod:`.queues`: the queue pages, the comment page, the act endpoint (JSON for
  ``static/talk/admin/console.js``, redirects without it);
- :mod:`.users`: the user page.
"""

from moderation.admin_views.cards import Card, build_cards, excerpt, with_card_data
from moderation.admin_views.common import MODERATE_COMMENT, MODERATE_USER
from moderation.admin_views.queues import ModerationConsole
from moderation.admin_views.users import UserModeration

__all__ = [
    "MODERATE_COMMENT",
    "MODERATE_USER",
    "Card",
    "ModerationConsole",
    "UserModeration",
    "build_cards",
    "excerpt",
    "with_card_data",
]
