"""Look ahead into a connection's selection to prefetch nested reply pages in bulk.

graphql-core resolves list items depth-first, so batching needs to know, before the first
node resolves, whether (and how) ``replies`` is selected under ``edges.node``/``nodes``.
"""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from graphql.execution.values import get_argument_values


def _fields(selection_set, info, name: str) -> list[FieldNode]:
    found: list[FieldNode] = []
    if selection_set is None:
        return found
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found.extend(_fields(selection.selection_set, info, name))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                found.extend(_fields(fragment.selection_set, info, name))
    return found


def connection_node_selections(connection_node: FieldNode, info) -> list[FieldNode]:
    """Return the ``node`` fields under ``edges`` and the ``nodes`` fields of a connection."""
    nodes: list[FieldNode] = []
    for edges in _fields(connection_node.selection_set, info, "edges"):
        nodes.extend(_fields(edges.selection_set, info, "node"))
    nodes.extend(_fields(connection_node.selection_set, info, "nodes"))
    return nodes


def nested_replies_args(connection_node: FieldNode, info) -> tuple[FieldNode, dict] | None:
    """Return the first ``replies`` field selected on the connection's nodes and its
    argument values (variables applied), or None when replies are not selected."""
    comment_type = info.schema.get_type("Comment")
    for node in connection_node_selections(connection_node, info):
        for replies in _fields(node.selection_set, info, "replies"):
            args = get_argument_values(
                comment_type.fields["replies"], replies, info.variable_values
            )
            return replies, args
    return None
