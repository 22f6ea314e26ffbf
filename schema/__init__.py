"""The GraphQL schema: types, inputs, root Query and Mutation, extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.caching import MAX_CACHED_DOCUMENTS, DocumentCache
from schema.content import CaseStudy, Partnership, Practice, Replication
from schema.errors import ErrorCodes
from schema.mutation import Mutation
from schema.query import Query
from schema.regions import Organization, Region
from schema.scalars import SCALARS


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logging happens in ErrorCodes, once, with the request ID: expected errors are not logged."""


def build_schema(*, production: bool = False) -> Schema:
    # The caches live at module level; the factories only make each request's extension.
    extensions: list[Any] = [ErrorCodes, DocumentCache, lambda: ValidationCache(maxsize=MAX_CACHED_DOCUMENTS)]
    if production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Region, Organization, Practice, CaseStudy, Partnership, Replication],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


__all__ = ["Schema", "build_schema"]
