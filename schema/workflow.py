"""The editorial workflow's mutations: one per step, each returning the item and its errors."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import workflow
from resolvers.content import WriteResult
from resolvers.context import Context
from resolvers.permissions import Action
from schema.content import CaseStudy, Content, Partnership, Practice, Replication
from schema.payload import Error, errors_of
from storage import records

_TYPES: dict[type[records.ContentRecord], Any] = {
    records.PracticeRecord: Practice,
    records.CaseStudyRecord: CaseStudy,
    records.PartnershipRecord: Partnership,
    records.ReplicationRecord: Replication,
}


@strawberry.type
class ContentPayload:
    content: Content | None
    errors: list[Error]


@strawberry.type
class VerifyPracticePayload:
    practice: Practice | None
    errors: list[Error]


@strawberry.input(
    description="The item (a practice, case study, partnership or replication) and its version."
)
class StepInput:
    id: strawberry.ID
    version: int


@strawberry.input
class RequestChangesInput:
    id: strawberry.ID
    version: int
    comment: str = strawberry.field(description="What the authors should change (required).")


@strawberry.input
class ArchiveInput:
    id: strawberry.ID
    version: int
    comment: str | None = None


@strawberry.input
class VerifyPracticeInput:
    id: strawberry.ID
    version: int
    still_active: bool = strawberry.field(description="False records that the practice stopped.")
    comment: str | None = None


def _payload(result: WriteResult[records.ContentRecord]) -> ContentPayload:
    record = result.record
    content = _TYPES[type(record)].from_record(record) if record is not None else None
    return ContentPayload(content=content, errors=errors_of(result.errors))


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(description="Draft or changes requested -> submitted. The item's authors.")
    async def submit_for_review(self, info: Info[Context, None], input: StepInput) -> ContentPayload:
        return _payload(
            await workflow.transition(info.context, Action.SUBMIT, id=input.id, version=input.version)
        )

    @strawberry.mutation(description="Submitted -> changes requested, with a comment. Reviewers.")
    async def request_changes(self, info: Info[Context, None], input: RequestChangesInput) -> ContentPayload:
        result = await workflow.transition(
            info.context, Action.REQUEST_CHANGES, id=input.id, version=input.version, comment=input.comment
        )
        return _payload(result)

    @strawberry.mutation(description="Submitted -> published: visible to everyone. Reviewers.")
    async def publish(self, info: Info[Context, None], input: StepInput) -> ContentPayload:
        return _payload(
            await workflow.transition(info.context, Action.PUBLISH, id=input.id, version=input.version)
        )

    @strawberry.mutation(description="Published -> archived. Reviewers and the item's authors.")
    async def archive(self, info: Info[Context, None], input: ArchiveInput) -> ContentPayload:
        result = await workflow.transition(
            info.context, Action.ARCHIVE, id=input.id, version=input.version, comment=input.comment
        )
        return _payload(result)

    @strawberry.mutation(
        description="Record that a published practice still runs, or that it stopped. Reviewers."
    )
    async def verify_practice(
        self, info: Info[Context, None], input: VerifyPracticeInput
    ) -> VerifyPracticePayload:
        result = await workflow.verify_practice(
            info.context,
            id=input.id,
            version=input.version,
            still_active=input.still_active,
            comment=input.comment,
        )
        practice = Practice.from_record(result.record) if result.record is not None else None
        return VerifyPracticePayload(practice=practice, errors=errors_of(result.errors))
