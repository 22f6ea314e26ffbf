"""Meilisearch filter expressions built only from typed values.

Field names are constants of this module; every value is either an int or a string passed
through ``quote``, which escapes backslashes and double quotes, so no user text can close the
string and add an operator of its own. Values within a facet are OR-ed (``IN``), facets AND-ed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from search.documents import ContentType
from search.indexes import IndexSpec
from storage.vocabulary import ContentStatus, OrganizationKind, Stage, Theme

FilterExpression = list[str]


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _value(value: str | int | Enum) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are not facet values")
    if isinstance(value, int):
        return str(value)
    return quote(value.value if isinstance(value, Enum) else value)


def any_of(field: str, values: Sequence[str | int | Enum]) -> str:
    return f"{field} IN [{', '.join(_value(v) for v in values)}]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Audience:
    """Whose view a search serves: published documents, plus its own organization's, or all."""

    everything: bool = False
    organization_id: str | None = None

    def expression(self) -> str | None:
        if self.everything:
            return None
        published = f"status = {quote(ContentStatus.PUBLISHED.value)}"
        if self.organization_id is None:
            return published
        return f"({published} OR organization_id = {quote(self.organization_id)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFilter:
    types: Sequence[ContentType] = ()
    themes: Sequence[Theme] = ()
    sdgs: Sequence[int] = ()
    stages: Sequence[Stage] = ()
    organization_kinds: Sequence[OrganizationKind] = ()
    years: Sequence[int] = ()
    # Months as YYYY-MM (events: when they start).
    months: Sequence[str] = ()
    # Codes at any level: a hit located at or below any of them matches.
    region_codes: Sequence[str] = ()
    # Who may see what: decided by the caller for its viewer, never by the client.
    audience: Audience = Audience()

    def _facets(self) -> dict[str, Sequence[str | int | Enum]]:
        return {
            "themes": self.themes,
            "sdgs": self.sdgs,
            "stage": self.stages,
            "organization_kind": self.organization_kinds,
            "year": self.years,
            "month": self.months,
            "regions": self.region_codes,
        }

    def without(self, field_name: str) -> SearchFilter:
        """The same filter with one of its facet fields (``themes``, ``types``...) left empty."""
        if field_name in ("audience",) or field_name not in self.__dataclass_fields__:
            raise ValueError(f"{field_name} is not a facet field of a search filter")
        emptied: dict[str, Any] = {field_name: ()}
        return dataclasses.replace(self, **emptied)

    def applies_to(self, spec: IndexSpec) -> bool:
        """False when no document of the index can match (a type not asked for, a facet it lacks)."""
        if self.types and spec.content_type not in self.types:
            return False
        attributes = spec.attributes()
        return all(field in attributes for field, values in self._facets().items() if values)

    def expression(self, *, exclude_ids: Sequence[str] = ()) -> FilterExpression:
        clauses = [any_of(field, values) for field, values in self._facets().items() if values]
        if (audience := self.audience.expression()) is not None:
            clauses.append(audience)
        if exclude_ids:
            clauses.append(f"NOT {any_of('id', exclude_ids)}")
        return clauses
