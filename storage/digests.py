"""Email digests: each user's claim on a period, and the unread notifications of a period.

A digest is sent at most once per user and period. The claim is one MongoDB transaction: a
compare-and-set of the user's ``digest_sent_until`` from the value the sender read to the
period's end, and the insert of a ``digest_claims`` record under the ID ``<user>:<period>``.
Of any number of senders racing on a user, one commits; the others find the value changed (or
the record there) and leave the user alone.

A claim then moves through these states, each step a compare-and-set on the state and the
attempt number, so two senders never both make an attempt:

    pending --start--> sending --sent--> sent
       ^                  |----refused or unreachable--> pending (retried later) or failed
       +------------------+----connection lost after the message was handed over--> uncertain

``uncertain`` is never retried: the server may have accepted the message, and a second one is
worse than a missing one. A ``sending`` claim whose sender died keeps its state past its
deadline and is marked ``uncertain`` then, for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure

from storage.activity import ACTIVITY_OUTBOX
from storage.notifications import NotificationRecord
from storage.pagination import newest_key
from storage.records import Id, Record
from storage.store import Document, ensure_indexes, translate_errors
from storage.vocabulary import DigestFrequency, NotificationReason

DIGEST_CLAIMS = "digest_claims"
# Claims are kept half a year, to look into; deleting one lets nothing be sent again, because
# digest_sent_until only ever moves forward.
CLAIM_RETENTION = timedelta(days=180)
# Due retries and overdue attempts, by state and time; a user's claims, newest first.
DIGEST_CLAIM_INDEXES = (
    (("state", 1), ("next_check_at", 1)),
    (("user_id", 1), ("period_end", -1)),
)
# Who has unread notifications in a period (notifications are found per user by newest_key).
DIGEST_NOTIFICATION_INDEXES = ((("read", 1), ("created_at", 1)),)


class ClaimState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    # Nothing was left to tell when its (re)try came, or the user unsubscribed meanwhile.
    SKIPPED = "skipped"


class DigestClaim(Record):
    id: str = Field(alias="_id")
    user_id: Id
    frequency: DigestFrequency
    period_start: datetime
    period_end: datetime
    state: ClaimState
    attempts: int = 0
    # pending: when to (re)try; sending: when an attempt still under way counts as lost.
    next_check_at: datetime
    claimed_at: datetime
    owner: str
    sent_at: datetime | None = None
    last_error: str | None = None


def claim_id(user_id: str, frequency: DigestFrequency, period_start: datetime) -> str:
    return f"{user_id}:{frequency.value}:{period_start:%Y%m%dT%H%M%SZ}"


class DigestStore:
    def __init__(
        self,
        claims: AsyncCollection[Document],
        *,
        notifications: AsyncCollection[Document],
        settings: AsyncCollection[Document],
    ) -> None:
        self.claims = claims
        self._notifications = notifications
        self._settings = settings
        self._outbox = claims.database[ACTIVITY_OUTBOX]

    async def ensure_indexes(self) -> None:
        await ensure_indexes(self.claims, DIGEST_CLAIM_INDEXES)
        await ensure_indexes(self._notifications, DIGEST_NOTIFICATION_INDEXES)
        try:
            await self.claims.create_index(
                [("claimed_at", 1)], expireAfterSeconds=int(CLAIM_RETENTION.total_seconds())
            )
        except OperationFailure as exc:  # one with another retention exists: keep it
            if exc.code not in (85, 86):
                raise

    # --- what a period holds ---------------------------------------------------------------

    @translate_errors
    async def users_with_unread(self, *, start: datetime, end: datetime) -> list[str]:
        """Users with an unread notification created in ``[start, end)``."""
        pipeline: list[Document] = [
            {"$match": {"read": False, "created_at": {"$gte": start, "$lt": end}}},
            {"$group": {"_id": "$user_id"}},
        ]
        rows = await (await self._notifications.aggregate(pipeline)).to_list()
        return sorted(str(row["_id"]) for row in rows)

    def _unread_query(
        self, user_id: str, start: datetime, end: datetime, muted: Sequence[NotificationReason]
    ) -> Document:
        # newest_key ("<time>|<id>") served by the (user_id, read, newest_key) index: its bounds
        # with an empty ID sort before every key of their moment.
        query: Document = {
            "user_id": user_id,
            "read": False,
            "newest_key": {"$gte": newest_key(start, ""), "$lt": newest_key(end, "")},
        }
        if muted:
            query["reason"] = {"$nin": [reason.value for reason in muted]}
        return query

    @translate_errors
    async def unread_counts(
        self, *, user_id: str, start: datetime, end: datetime, muted: Sequence[NotificationReason]
    ) -> dict[NotificationReason, int]:
        pipeline: list[Document] = [
            {"$match": self._unread_query(user_id, start, end, muted)},
            {"$group": {"_id": "$reason", "count": {"$sum": 1}}},
        ]
        rows = await (await self._notifications.aggregate(pipeline)).to_list()
        return {NotificationReason[row["_id"]]: int(row["count"]) for row in rows}

    @translate_errors
    async def unread(
        self,
        *,
        user_id: str,
        start: datetime,
        end: datetime,
        muted: Sequence[NotificationReason],
        limit: int,
    ) -> list[NotificationRecord]:
        """The newest ``limit`` unread notifications of the period, newest first."""
        cursor = (
            self._notifications.find(self._unread_query(user_id, start, end, muted))
            .sort("newest_key", -1)
            .limit(limit)
        )
        return [NotificationRecord.model_validate(document) async for document in cursor]

    @translate_errors
    async def undelivered_before(self, moment: datetime) -> bool:
        """Whether an activity before ``moment`` still waits for the notifier."""
        found = await self._outbox.find_one({"delivered_at": None, "at": {"$lt": moment}}, {"_id": 1})
        return found is not None

    # --- claims ----------------------------------------------------------------------------

    @translate_errors
    async def claim(
        self,
        *,
        user_id: str,
        frequency: DigestFrequency,
        period_start: datetime,
        period_end: datetime,
        sent_until: datetime | None,
        owner: str,
        now: datetime,
    ) -> DigestClaim | None:
        """Claim the user's period, if ``digest_sent_until`` is still ``sent_until``; None if lost.

        The settings must still ask for this frequency: an unsubscribe that lands between the
        sender's read and its claim wins. A user who never saved settings has the defaults
        (weekly), and the claim then creates the settings record.
        """
        wanted: Any = (
            {"$in": [frequency.value, None]} if frequency is DigestFrequency.WEEKLY else frequency.value
        )
        document: Document = {
            "_id": claim_id(user_id, frequency, period_start),
            "user_id": user_id,
            "frequency": frequency.value,
            "period_start": period_start,
            "period_end": period_end,
            "state": ClaimState.PENDING.value,
            "attempts": 0,
            "next_check_at": now,
            "claimed_at": now,
            "owner": owner,
        }

        async def write(session: AsyncClientSession) -> bool:
            result = await self._settings.update_one(
                {"_id": user_id, "digest_sent_until": sent_until, "digest": wanted},
                {"$set": {"digest_sent_until": period_end}},
                # Only a user without a settings record has nothing to match: the upsert makes it,
                # and meets anyone else's record (a changed value) as a duplicate key.
                upsert=sent_until is None and frequency is DigestFrequency.WEEKLY,
                session=session,
            )
            if result.matched_count == 0 and result.upserted_id is None:
                return False
            await self.claims.insert_one(document, session=session)
            return True

        try:
            async with self.claims.database.client.start_session() as session:
                won = await session.with_transaction(write)
        except DuplicateKeyError:
            return None
        return DigestClaim.model_validate(document) if won else None

    @translate_errors
    async def due(self, now: datetime, *, limit: int) -> list[DigestClaim]:
        """Pending claims whose (re)try is due, the longest waiting first."""
        query = {"state": ClaimState.PENDING.value, "next_check_at": {"$lte": now}}
        cursor = self.claims.find(query).sort("next_check_at", 1).limit(limit)
        return [DigestClaim.model_validate(document) async for document in cursor]

    @translate_errors
    async def start_attempt(
        self, claim: DigestClaim, *, owner: str, deadline: datetime
    ) -> DigestClaim | None:
        """Take a pending claim for one attempt; None when another sender took it first."""
        # update_one, not find_one_and_update: SecantusDB's findAndModify scans the collection.
        result = await self.claims.update_one(
            {"_id": claim.id, "state": ClaimState.PENDING.value, "attempts": claim.attempts},
            {
                "$set": {"state": ClaimState.SENDING.value, "owner": owner, "next_check_at": deadline},
                "$inc": {"attempts": 1},
            },
        )
        if result.modified_count != 1:
            return None
        changes = {"state": ClaimState.SENDING, "owner": owner, "next_check_at": deadline}
        return claim.model_copy(update={**changes, "attempts": claim.attempts + 1})

    async def _finish(self, claim: DigestClaim, fields: Document) -> bool:
        result = await self.claims.update_one(
            {"_id": claim.id, "state": ClaimState.SENDING.value, "attempts": claim.attempts},
            {"$set": fields},
        )
        return result.modified_count == 1

    @translate_errors
    async def mark_sent(self, claim: DigestClaim, *, now: datetime) -> bool:
        return await self._finish(claim, {"state": ClaimState.SENT.value, "sent_at": now, "last_error": None})

    @translate_errors
    async def mark_retry(self, claim: DigestClaim, *, at: datetime, error: str) -> bool:
        fields = {"state": ClaimState.PENDING.value, "next_check_at": at, "last_error": error}
        return await self._finish(claim, fields)

    @translate_errors
    async def mark_final(self, claim: DigestClaim, state: ClaimState, *, error: str | None = None) -> bool:
        return await self._finish(claim, {"state": state.value, "last_error": error})

    @translate_errors
    async def close_pending(self, claim: DigestClaim, state: ClaimState, *, reason: str) -> bool:
        """A pending claim settled without an attempt: nothing left to send (skipped), or unsendable."""
        result = await self.claims.update_one(
            {"_id": claim.id, "state": ClaimState.PENDING.value, "attempts": claim.attempts},
            {"$set": {"state": state.value, "last_error": reason}},
        )
        return result.modified_count == 1

    @translate_errors
    async def abandon_overdue(self, now: datetime) -> list[DigestClaim]:
        """Attempts past their deadline (their sender died): marked uncertain, never resent."""
        overdue: list[DigestClaim] = []
        cursor = self.claims.find({"state": ClaimState.SENDING.value, "next_check_at": {"$lt": now}})
        async for document in cursor:
            claim = DigestClaim.model_validate(document)
            error = "the sender stopped during its attempt: the message may or may not have been sent"
            if await self._finish(claim, {"state": ClaimState.UNCERTAIN.value, "last_error": error}):
                overdue.append(claim)
        return overdue

    @translate_errors
    async def claims_of(self, user_id: str) -> list[DigestClaim]:
        cursor = self.claims.find({"user_id": user_id}).sort("period_end", -1)
        return [DigestClaim.model_validate(document) async for document in cursor]
