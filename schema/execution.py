"""Completing plain parts of a result without graphql-core's per-field machinery.

graphql-core completes every field of a result on its own: it builds a resolve-info object,
calls the resolver, checks for an awaitable and coerces the leaf, about 5 µs a field. A search
page of twenty hits with their highlights and sixty facet values is some 300 fields: about
3 ms of every search, more than the rest of the request (``bench/README.md``, "Search").

Most of those fields are *plain*: strawberry fields without a resolver, permission or extension
(they read an attribute) whose type is a scalar, an enum, a list of these, or an object whose
selected fields are plain in turn. For an object whose whole selection is plain,
``PlainFieldsExecutionContext`` builds the result directly: read each attribute, coerce each
leaf, recurse into objects and lists. How to complete a (type, selection) pair is worked out once
per request, as graphql-core does with the selections themselves.

Whatever the fast path cannot vouch for goes back to graphql-core untouched: a null in a
non-null field, a leaf that does not coerce, something other than a list where a list belongs.
graphql-core then completes that object the ordinary way and reports the error at its path, as
it always does. Reading attributes has no side effects, so starting over is safe. Fields with
resolvers, abstract types, types with an ``is_type_of`` check, deferred fragments and field
middleware always take the ordinary path.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Completes one value of a plain shape, or raises (any exception) to hand it back to graphql-core.
Complete = Callable[[Any], Any]


class _NotPlain(Exception):
    """A value the fast path leaves to graphql-core."""


def _identity(value: Any) -> Any:
    return value


def _constant(value: Any) -> Callable[[Any], Any]:
    def read(_source: Any) -> Any:
        return value

    return read


# graphql-core's own scalars whose coercion returns a value of this exact type unchanged (an Int
# only within 32 bits: beyond, the coercion's error).
_VERBATIM: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}
_INT_RANGE = range(GRAPHQL_MIN_INT, GRAPHQL_MAX_INT + 1)


def _absent(nullable: bool) -> None:
    """The result for a null: null where the type allows it, else graphql-core's error."""
    if not nullable:
        raise _NotPlain


def _leaf(type_: GraphQLScalarType | GraphQLEnumType, *, nullable: bool) -> Complete:
    coerce = type_.coerce_output_value
    verbatim = _VERBATIM.get(type_) if isinstance(type_, GraphQLScalarType) else None
    bounded = verbatim is int

    def complete(value: Any) -> Any:
        # most leaves: one type check, no coercion call
        if type(value) is verbatim and (not bounded or value in _INT_RANGE):
            return value
        if value is None:
            return _absent(nullable)
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _NotPlain
        return coerced

    return complete


def _list(item: Complete, *, nullable: bool) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return _absent(nullable)
        if not isinstance(value, list | tuple):  # graphql-core takes other iterables; it may
            raise _NotPlain
        return [item(each) for each in value]

    return complete


Fields = tuple[tuple[str, Callable[[Any], Any], Complete], ...]


def _object(fields: Fields) -> Complete:
    def complete(source: Any) -> dict[str, Any]:
        return {name: finish(read(source)) for name, read, finish in fields}

    return complete


def _nested(object_plan: Complete, *, nullable: bool) -> Complete:
    def complete(value: Any) -> Any:
        return _absent(nullable) if value is None else object_plan(value)

    return complete


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain objects in one pass (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # strawberry always passes a manager; its middleware are the extensions that wrap resolvers
        manager = self.middleware_manager
        self._has_middleware = bool(manager and manager.middlewares)
        # (type, id of its grouped field set) -> (the field set, kept alive; its plan or None)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Complete | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if position_context is None and not self._has_middleware:
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return plan(source_value)
                except Exception:  # graphql-core completes it again, and reports what is wrong
                    pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Complete | None:
        key = (parent_type, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = self._plan_object(parent_type, grouped_field_set)
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _plan_object(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Complete | None:
        fields: list[tuple[str, Callable[[Any], Any], Complete]] = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            name = node.name.value
            if name == "__typename":
                fields.append((response_name, _constant(parent_type.name), _identity))
                continue
            field_def = self.schema.get_field(parent_type, name)
            if field_def is None or field_def.args or node.arguments:
                return None
            definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field  # no resolver, permission or other field extension
                and definition.default_resolver is getattr
            ):
                return None
            finish = self._plan_value(field_def.type, field_details_list)
            if finish is None:
                return None
            fields.append((response_name, attrgetter(definition.python_name), finish))
        return _object(tuple(fields))

    def _plan_value(self, type_: GraphQLOutputType, field_details_list: FieldDetailsList) -> Complete | None:
        nullable = not isinstance(type_, GraphQLNonNull)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item = self._plan_value(type_.of_type, field_details_list)
            return None if item is None else _list(item, nullable=nullable)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_, nullable=nullable)
        if isinstance(type_, GraphQLObjectType) and type_.is_type_of is None:
            grouped_field_set, defer_usages, *_ = self.collect_subfields(type_, field_details_list)
            if defer_usages:
                return None
            object_plan = self._plan(type_, grouped_field_set)
            return None if object_plan is None else _nested(object_plan, nullable=nullable)
        return None  # interfaces and unions: graphql-core resolves the concrete type
