"""Limits on what one request may ask: depth, aliases, tokens and a cost budget.

The cost of a query estimates the objects it can return, as GitHub's and Shopify's APIs do: every
field costs one, times the sizes of the lists around it. A paginated list counts its ``first``
argument (the page cap when it comes from a variable, the default when it is omitted); another
list (a region's children, a practice's replications) counts ``UNPAGED_LIST_SIZE``; the items of
a connection (``edges``, ``nodes``, ``hits``) were already counted by the connection's field.
``practices(first: 50) { nodes { regions { name } } }`` costs 1 + 50 * (1 + 10 * 2).
Each limit is checked while validating, before anything executes, and reported with its own
``extensions.code``.

Introspection (``__schema``, ``__type``) is measured by what the operation selects, not by the
shape the schema gives it: the standard introspection query of every tool nests some fifteen levels
(``ofType`` nine deep) and, with its lists counted as ten, would cost more than the budget, yet
it reads nothing but the schema. Inside an introspection field each selection costs one, with
fragments inlined and no list multiplying it, and the depth has its own bound,
``INTROSPECTION_MAX_DEPTH``. Introspection reaches only introspection types, so no real field can
hide under it; its one costly shape, lists of types nested in lists of types
(``fields { type { fields { ...`` ), is graphql-core's ``MaxIntrospectionDepthRule``, one of the
specified rules. Aliases count everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"

UNPAGED_LIST_SIZE = 10
_CONNECTION_ITEMS = frozenset({"edges", "nodes", "hits"})
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
# The standard introspection query nests 15 levels; wrapper types (``ofType``) nest only a few
# deep in any schema. The bound keeps the walk's recursion (and fragment chains) short.
INTROSPECTION_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_cost: int = 50_000
    max_page_size: int = 100


@dataclass
class _Tally:
    cost: int = 0
    depth: int = 0
    aliases: int = 0
    # within introspection fields, counted from the introspection field itself
    introspection_depth: int = 0


class _Measure:
    """Walks one operation with its fragments inlined; a fragment is entered once per path."""

    def __init__(self, context: ValidationContext, limits: Limits) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.schema = context.schema
        self.limits = limits
        self.tally = _Tally()

    def _first(self, field: FieldNode, definition: GraphQLField) -> int | None:
        """The page size a paginated field asks for, or None for a field without ``first``."""
        for argument in field.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, IntValueNode):
                    return max(1, int(argument.value.value))
                return self.limits.max_page_size  # a variable: assume the largest page
        if "first" in definition.args:
            default = definition.args["first"].default_value
            return default if isinstance(default, int) and default > 0 else self.limits.max_page_size
        return None

    def _sizes(
        self, field: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType | None, page: int
    ) -> tuple[int, int]:
        """How many times the field's children repeat, and the page their connection items get."""
        if definition is None:
            return 1, 1
        if (
            field.name.value in _CONNECTION_ITEMS
            and parent is not None
            and parent.name.endswith("Connection")
        ):
            return page, 1
        first = self._first(field, definition)
        if first is not None:
            if get_named_type(definition.type).name.endswith("Connection"):
                return 1, first  # only the items repeat, not totalCount, pageInfo or facets
            return first, 1
        return (UNPAGED_LIST_SIZE if is_list_type(get_nullable_type(definition.type)) else 1), 1

    def walk(
        self,
        selections: SelectionSetNode,
        parent: GraphQLNamedType | None,
        multiplier: int,
        depth: int,
        entered: frozenset[str],
        page: int = 1,
    ) -> None:
        self.tally.depth = max(self.tally.depth, depth)
        if depth > self.limits.max_depth + 1 or self.tally.cost > self.limits.max_cost:
            return  # already over: stop walking (a fragment bomb must not cost us time)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    self.tally.aliases += 1
                if selection.name.value in _INTROSPECTION_ROOTS and parent is self.schema.query_type:
                    self.tally.cost += multiplier
                    if selection.selection_set is not None:
                        self.walk_introspection(selection.selection_set, 1, entered)
                    continue
                definition = self._field(parent, selection.name.value)
                self.tally.cost += multiplier
                if selection.selection_set is not None:
                    inner = get_named_type(definition.type) if definition is not None else None
                    repeat, inner_page = self._sizes(selection, definition, parent, page)
                    self.walk(
                        selection.selection_set, inner, multiplier * repeat, depth + 1, entered, inner_page
                    )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, inner, multiplier, depth, entered, page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in entered:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    self.walk(fragment.selection_set, inner, multiplier, depth, entered | {name}, page)

    def walk_introspection(self, selections: SelectionSetNode, depth: int, entered: frozenset[str]) -> None:
        """The selections of an introspection field: one each, as written (module docstring)."""
        self.tally.introspection_depth = max(self.tally.introspection_depth, depth)
        if depth > INTROSPECTION_MAX_DEPTH or self.tally.cost > self.limits.max_cost:
            return
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    self.tally.aliases += 1
                self.tally.cost += 1
                if selection.selection_set is not None:
                    self.walk_introspection(selection.selection_set, depth + 1, entered)
            elif isinstance(selection, InlineFragmentNode):
                self.walk_introspection(selection.selection_set, depth, entered)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in entered:
                    self.walk_introspection(fragment.selection_set, depth, entered | {name})

    @staticmethod
    def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field: GraphQLField | None = parent.fields.get(name)
            return field
        return None


def limits_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule enforcing ``limits`` on every operation of a document."""

    class QueryLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            measure = _Measure(self.context, limits)
            measure.walk(node.selection_set, root, 1, 1, frozenset())
            tally = measure.tally
            if tally.depth > limits.max_depth:
                self._report(QUERY_TOO_DEEP, f"The query nests deeper than {limits.max_depth} levels.")
            if tally.introspection_depth > INTROSPECTION_MAX_DEPTH:
                self._report(
                    QUERY_TOO_DEEP, f"The introspection nests deeper than {INTROSPECTION_MAX_DEPTH} levels."
                )
            if tally.aliases > limits.max_aliases:
                self._report(TOO_MANY_ALIASES, f"The query uses more than {limits.max_aliases} aliases.")
            if tally.cost > limits.max_cost:
                self._report(
                    QUERY_TOO_COSTLY,
                    f"The query could return about {tally.cost} objects, more than the budget of "
                    f"{limits.max_cost}: ask for smaller pages or fewer nested lists.",
                )

        def _report(self, code: str, message: str) -> None:
            self.report_error(GraphQLError(message, extensions={"code": code}))

    return QueryLimits
