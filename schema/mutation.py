"""The root Mutation: create, update and delete for every writable kind.

Every mutation takes one ``input`` and returns a payload with the object and ``errors``;
expected failures (validation, unknown references, a stale version) are data in ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from resolvers import content
from resolvers.context import Context
from resolvers.kinds import CASE_STUDY, ORGANIZATION, PARTNERSHIP, PRACTICE, REPLICATION
from schema.accounts import AccountMutation
from schema.content import CaseStudy, Partnership, Practice, Replication
from schema.discussions import DiscussionMutation
from schema.events import EventMutation
from schema.exchanges import ExchangeMutation
from schema.follows import FollowMutation
from schema.indicators import IndicatorMutation
from schema.inputs import (
    CaseStudyInput,
    DeleteInput,
    OrganizationInput,
    PartnershipInput,
    PracticeInput,
    ReplicationInput,
    UpdateCaseStudyInput,
    UpdateOrganizationInput,
    UpdatePartnershipInput,
    UpdatePracticeInput,
    UpdateReplicationInput,
    to_fields,
)
from schema.notifications import NotificationMutation
from schema.payload import Error, errors_of
from schema.regions import Organization
from schema.workflow import WorkflowMutation

P = TypeVar("P")


@strawberry.type
class OrganizationPayload:
    organization: Organization | None
    errors: list[Error]


@strawberry.type
class PracticePayload:
    practice: Practice | None
    errors: list[Error]


@strawberry.type
class CaseStudyPayload:
    case_study: CaseStudy | None
    errors: list[Error]


@strawberry.type
class PartnershipPayload:
    partnership: Partnership | None
    errors: list[Error]


@strawberry.type
class ReplicationPayload:
    replication: Replication | None
    errors: list[Error]


def _payload(
    payload: Callable[..., P], field: str, convert: Callable[[Any], Any], result: content.WriteResult[Any]
) -> P:
    node = convert(result.record) if result.record is not None else None
    return payload(**{field: node, "errors": errors_of(result.errors)})


class _Writes:
    """create/update/delete of one kind, mapped onto its payload type."""

    def __init__(
        self,
        kind: content.Kind[Any, Any],
        payload: Callable[..., Any],
        field: str,
        convert: Callable[[Any], Any],
    ) -> None:
        self.kind, self.payload, self.field, self.convert = kind, payload, field, convert

    async def create(self, info: Info[Context, None], input: Any) -> Any:
        result = await content.create(info.context, self.kind, to_fields(input))
        return _payload(self.payload, self.field, self.convert, result)

    async def update(self, info: Info[Context, None], input: Any) -> Any:
        result = await content.update(
            info.context, self.kind, id=input.id, version=input.version, patch=to_fields(input.changes)
        )
        return _payload(self.payload, self.field, self.convert, result)

    async def delete(self, info: Info[Context, None], input: DeleteInput) -> Any:
        result = await content.delete(info.context, self.kind, id=input.id, version=input.version)
        return _payload(self.payload, self.field, self.convert, result)


_ORGANIZATIONS = _Writes(ORGANIZATION, OrganizationPayload, "organization", Organization.from_record)
_PRACTICES = _Writes(PRACTICE, PracticePayload, "practice", Practice.from_record)
_CASE_STUDIES = _Writes(CASE_STUDY, CaseStudyPayload, "case_study", CaseStudy.from_record)
_PARTNERSHIPS = _Writes(PARTNERSHIP, PartnershipPayload, "partnership", Partnership.from_record)
_REPLICATIONS = _Writes(REPLICATION, ReplicationPayload, "replication", Replication.from_record)


@strawberry.type
class Mutation(
    AccountMutation,
    WorkflowMutation,
    DiscussionMutation,
    EventMutation,
    FollowMutation,
    NotificationMutation,
    ExchangeMutation,
    IndicatorMutation,
):
    @strawberry.mutation
    async def create_organization(
        self, info: Info[Context, None], input: OrganizationInput
    ) -> OrganizationPayload:
        result: OrganizationPayload = await _ORGANIZATIONS.create(info, input)
        return result

    @strawberry.mutation
    async def update_organization(
        self, info: Info[Context, None], input: UpdateOrganizationInput
    ) -> OrganizationPayload:
        result: OrganizationPayload = await _ORGANIZATIONS.update(info, input)
        return result

    @strawberry.mutation(
        description="Refused with IN_USE while the organization owns or partners in content."
    )
    async def delete_organization(self, info: Info[Context, None], input: DeleteInput) -> OrganizationPayload:
        result: OrganizationPayload = await _ORGANIZATIONS.delete(info, input)
        return result

    @strawberry.mutation
    async def create_practice(self, info: Info[Context, None], input: PracticeInput) -> PracticePayload:
        result: PracticePayload = await _PRACTICES.create(info, input)
        return result

    @strawberry.mutation
    async def update_practice(self, info: Info[Context, None], input: UpdatePracticeInput) -> PracticePayload:
        result: PracticePayload = await _PRACTICES.update(info, input)
        return result

    @strawberry.mutation(description="Refused with IN_USE while replications point at the practice.")
    async def delete_practice(self, info: Info[Context, None], input: DeleteInput) -> PracticePayload:
        result: PracticePayload = await _PRACTICES.delete(info, input)
        return result

    @strawberry.mutation
    async def create_case_study(self, info: Info[Context, None], input: CaseStudyInput) -> CaseStudyPayload:
        result: CaseStudyPayload = await _CASE_STUDIES.create(info, input)
        return result

    @strawberry.mutation
    async def update_case_study(
        self, info: Info[Context, None], input: UpdateCaseStudyInput
    ) -> CaseStudyPayload:
        result: CaseStudyPayload = await _CASE_STUDIES.update(info, input)
        return result

    @strawberry.mutation
    async def delete_case_study(self, info: Info[Context, None], input: DeleteInput) -> CaseStudyPayload:
        result: CaseStudyPayload = await _CASE_STUDIES.delete(info, input)
        return result

    @strawberry.mutation
    async def create_partnership(
        self, info: Info[Context, None], input: PartnershipInput
    ) -> PartnershipPayload:
        result: PartnershipPayload = await _PARTNERSHIPS.create(info, input)
        return result

    @strawberry.mutation
    async def update_partnership(
        self, info: Info[Context, None], input: UpdatePartnershipInput
    ) -> PartnershipPayload:
        result: PartnershipPayload = await _PARTNERSHIPS.update(info, input)
        return result

    @strawberry.mutation
    async def delete_partnership(self, info: Info[Context, None], input: DeleteInput) -> PartnershipPayload:
        result: PartnershipPayload = await _PARTNERSHIPS.delete(info, input)
        return result

    @strawberry.mutation
    async def create_replication(
        self, info: Info[Context, None], input: ReplicationInput
    ) -> ReplicationPayload:
        result: ReplicationPayload = await _REPLICATIONS.create(info, input)
        return result

    @strawberry.mutation
    async def update_replication(
        self, info: Info[Context, None], input: UpdateReplicationInput
    ) -> ReplicationPayload:
        result: ReplicationPayload = await _REPLICATIONS.update(info, input)
        return result

    @strawberry.mutation
    async def delete_replication(self, info: Info[Context, None], input: DeleteInput) -> ReplicationPayload:
        result: ReplicationPayload = await _REPLICATIONS.delete(info, input)
        return result
