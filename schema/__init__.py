"""The GraphQL schema: types, inputs, root Query and Mutation, extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.accounts import User
from schema.caching import MAX_CACHED_DOCUMENTS, DocumentCache
from schema.content import CaseStudy, Partnership, Practice, Replication
from schema.discussions import Reply, Thread
from schema.errors import ErrorCodes
from schema.events import Event
from schema.exchanges import ExchangeRequest
from schema.execution import PlainFieldsExecutionContext
from schema.limits import Limits, limits_rule
from schema.live import Subscription
from schema.mutation import Mutation
from schema.notifications import Notification
from schema.query import Query
from schema.regions import Organization, Region
from schema.scalars import SCALARS


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logging happens in ErrorCodes, once, with the request ID: expected errors are not logged."""


def build_schema(
    *, production: bool = False, limits: Limits | None = None, max_batch_operations: int | None = None
) -> Schema:
    """The schema; in production without introspection and without field-name suggestions.

    ``max_batch_operations`` enables batched requests (a JSON list of operations) up to that many.
    """
    limits = limits or Limits()
    rules: list[type[ASTValidationRule]] = [limits_rule(limits)]
    if production:
        rules.append(NoSchemaIntrospectionCustomRule)
    # The caches live at module level; the factories only make each request's extension.
    extensions: list[Any] = [
        lambda: ErrorCodes(hide_suggestions=production),
        lambda: MaxTokensLimiter(limits.max_tokens),
        DocumentCache,
        lambda: ValidationCache(maxsize=MAX_CACHED_DOCUMENTS),
        lambda: AddValidationRules(rules),
    ]
    return Schema(
        query=Query,
        execution_context_class=PlainFieldsExecutionContext,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Region,
            Organization,
            Practice,
            CaseStudy,
            Partnership,
            Replication,
            User,
            Thread,
            Reply,
            Event,
            Notification,
            ExchangeRequest,
        ],
        extensions=extensions,
        config=StrawberryConfig(
            scalar_map=SCALARS,
            batching_config={"max_operations": max_batch_operations} if max_batch_operations else None,
        ),
    )


__all__ = ["Limits", "Schema", "build_schema"]
