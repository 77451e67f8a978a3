"""Visibility classes: who a live payload is executed as, and who may share it.

A payload is shared by every subscriber of one class (see ``realtime.fanout``):

* ``public``: anonymous readers *and* signed-in readers whose document selects nothing
  viewer-specific. It is executed as an anonymous viewer, so nothing personal can leak
  between readers; a signed-in reader gets the same payload as everybody.
* ``moderator:<role>:<sites>``: moderators, per role and site scope, executed as one of
  them (moderator-only fields depend on role and scope, never on who).
* ``viewer:<profile id>``: a signed-in viewer whose document selects a viewer-specific
  field (:data:`VIEWER_SPECIFIC_FIELDS`, e.g. ``viewerActionPresence``), and per-user
  topics. Such documents cost one execution per viewer: the embed does not select them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from graphql import DocumentNode, GraphQLSchema, TypeInfo, TypeInfoVisitor, Visitor, visit

from realtime.auth import Viewer
from realtime.topics import Topic

# (parent type, field) pairs whose value depends on who is asking. A document selecting
# one of them is executed per viewer. Add new viewer-dependent fields here.
VIEWER_SPECIFIC_FIELDS = frozenset(
    {
        ("Comment", "viewerActionPresence"),
        ("Comment", "replies"),  # includes the viewer's own held replies
        ("Comment", "parent"),  # the viewer's own held parent
        ("Story", "comments"),
        ("User", "email"),
    }
)


class LiveContext:
    """``info.context`` of a GraphQL execution over a socket.

    Resolvers read ``user`` (via ``viewer_profile``) and ``META``; ``request_cache``
    stores its per-execution cache on it, so each execution gets a fresh one.
    """

    def __init__(self, *, user: Any, meta: Mapping[str, Any] | None = None, **extra: Any):
        self.user = user
        self.META = dict(meta or {})
        self.COOKIES: dict[str, str] = {}
        for name, value in extra.items():
            setattr(self, name, value)


def selects_viewer_specific(schema: GraphQLSchema, document: DocumentNode) -> bool:
    """Return True if ``document`` selects any of :data:`VIEWER_SPECIFIC_FIELDS`."""
    type_info = TypeInfo(schema)
    found = False

    class Finder(Visitor):
        def enter_field(self, node, *_args):
            nonlocal found
            parent = type_info.get_parent_type()
            if parent is not None and (parent.name, node.name.value) in VIEWER_SPECIFIC_FIELDS:
                found = True

    visit(document, TypeInfoVisitor(type_info, Finder()))
    return found


@dataclass(frozen=True)
class ViewerClass:
    """A visibility class: subscribers sharing ``key`` share payloads; ``user`` is who
    the documents are executed as."""

    key: tuple[str, ...]
    user: Any = field(compare=False, hash=False)


def viewer_class(*, topic: Topic, viewer: Viewer, viewer_specific: bool) -> ViewerClass:
    """Return the visibility class of ``viewer`` for ``topic`` (see the module doc)."""
    profile = viewer.profile
    if profile is not None and (topic.per_viewer or viewer_specific):
        return ViewerClass(("viewer", str(profile.pk)), viewer.user)
    if profile is not None and viewer.is_moderator:
        sites = "*" if viewer.site_scope is None else ",".join(sorted(viewer.site_scope))
        return ViewerClass(("moderator", str(profile.role), sites), viewer.user)
    return ViewerClass(("public",), AnonymousUser())
