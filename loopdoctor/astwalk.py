"""Child iteration for ``ast`` trees, the analyser's hottest loop.

``ast.iter_child_nodes`` runs two generators per node and yields the shared operator and
context singletons (``Load``, ``Store``, ``Add``, ``Eq``...) of every expression. No rule
looks at those, so :func:`child_nodes` leaves them out and reads each class's fields from a
table: the same children in the same order, about twice as fast.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator

#: The attribute that links a node to its parent (set by :func:`preorder`).
PARENT = "_ld_parent"
#: Fields that only ever hold operator/context singletons.
_SINGLETON_FIELDS = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of ``node`` (without operator/context singletons), in order."""
    cls = node.__class__
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _SINGLETON_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast.AST):
                    out.append(item)
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def preorder(tree: ast.AST, parent_attr: str) -> list[ast.AST]:
    """Every node of ``tree`` in pre-order, setting ``parent_attr`` on each child on the way."""
    order: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        order.append(node)
        children = child_nodes(node)
        for child in children:
            setattr(child, parent_attr, node)
        children.reverse()
        stack.extend(children)
    return order


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` (breadth-first, lazy) without the operator/context singletons."""
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        queue.extend(child_nodes(node))
        yield node
