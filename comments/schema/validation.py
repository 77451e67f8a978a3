"""Validation rules applied to every GraphQL document, over HTTP and (later) websockets.

graphene's ``Schema.subscribe()`` runs only the default rules, so the websocket consumer
must apply :data:`VALIDATION_RULES` itself (DESIGN.md §6).
"""

from __future__ import annotations

from graphene.validation import depth_limit_validator

# The embed's deepest document (story > comments > edges > node > replies > edges > node >
# replies > edges > node > author > username) is 12 levels; 15 leaves room, bounds abuse.
MAX_QUERY_DEPTH = 15

VALIDATION_RULES = [depth_limit_validator(max_depth=MAX_QUERY_DEPTH)]
