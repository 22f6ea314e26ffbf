"""Users, their sign-in sessions, invitations, sign-in attempt counters and the audit trail.

Tokens and passwords never reach this module in the clear: the resolvers hand it keyed hashes
of tokens and argon2 hashes of passwords.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from storage.errors import StorageError
from storage.records import AuditEntryRecord, InvitationRecord, OrganizationRecord, SessionRecord, UserRecord
from storage.store import AuditNote, Document, VersionedStore, new_id, sort_key, translate_errors, utc_now

USER_INDEXES = ((("organization_id", 1), ("title_key", 1)), (("title_key", 1),))
SESSION_INDEXES = ((("user_id", 1),),)
INVITATION_INDEXES = ((("organization_id", 1),),)
AUDIT_INDEXES = ((("subject_id", 1), ("at", -1)),)


class EmailTaken(StorageError):
    """Another user already signs in with this email."""


class InvitationUnusable(StorageError):
    """The invitation is unknown, used, expired or its token does not match."""


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def derive_user(fields: Mapping[str, Any]) -> Document:
    return {"sort_key": sort_key(fields["name"]), "email": normalize_email(fields["email"])}


class UserStore(VersionedStore[UserRecord]):
    @translate_errors
    async def find_by_email(self, email: str) -> UserRecord | None:
        document = await self.collection.find_one({"email": normalize_email(email)})
        return self._record(document) if document else None

    async def create(
        self, fields: Mapping[str, Any], *, session: AsyncClientSession | None = None
    ) -> UserRecord:
        """Insert a user; EmailTaken when the (normalized) email is in use."""
        if await self.find_by_email(fields["email"]) is not None:
            raise EmailTaken(fields["email"])
        now = utc_now()
        record_id = new_id()
        document = self._document(
            fields, record_id=record_id, _id=record_id, version=1, created_at=now, updated_at=now
        )
        try:
            await self.collection.insert_one(document, session=session)
        except DuplicateKeyError as exc:  # the unique index closes the race of two sign-ups
            raise EmailTaken(fields["email"]) from exc
        return self._record(document)

    @translate_errors
    async def set_password(self, *, id: str, password_hash: str) -> None:
        await self.collection.update_one(
            {"_id": id},
            {
                "$set": {"password_hash": password_hash, "password_changed_at": utc_now()},
                "$inc": {"version": 1},
            },
        )

    @translate_errors
    async def remove(self, id: str) -> bool:
        result = await self.collection.delete_one({"_id": id})
        return result.deleted_count == 1


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session, its user (None once removed) and the user's organization (None once deleted)."""

    session: SessionRecord
    user: UserRecord | None
    organization: OrganizationRecord | None


class SessionStore:
    """Sign-in sessions: looked up by ID, the token's secret compared by hash."""

    def __init__(self, collection: AsyncCollection[Document], *, users: str, organizations: str) -> None:
        """``users`` and ``organizations``: the names of their collections, in the same database."""
        self.collection = collection
        self._users = users
        self._organizations = organizations

    @translate_errors
    async def signed_in(self, session_id: str) -> SignedIn | None:
        """The session with its user and organization, in one round trip (every signed-in request)."""
        pipeline: list[Document] = [
            {"$match": {"_id": session_id}},
            {"$lookup": {"from": self._users, "localField": "user_id", "foreignField": "_id", "as": "user"}},
            # Unwound first: SecantusDB's $lookup does not follow a localField through an array.
            {"$unwind": {"path": "$user", "preserveNullAndEmptyArrays": True}},
            {
                "$lookup": {
                    "from": self._organizations,
                    "localField": "user.organization_id",
                    "foreignField": "_id",
                    "as": "organization",
                }
            },
        ]
        found = await (await self.collection.aggregate(pipeline)).to_list(1)
        if not found:
            return None
        document = found[0]
        user, organizations = document.pop("user", None), document.pop("organization")
        return SignedIn(
            session=SessionRecord.model_validate(document),
            user=UserRecord.model_validate(user) if user else None,
            organization=OrganizationRecord.model_validate(organizations[0]) if organizations else None,
        )

    @translate_errors
    async def create(
        self,
        *,
        user_id: str,
        access_hash: str,
        refresh_hash: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
    ) -> SessionRecord:
        now = utc_now()
        document: Document = {
            "_id": new_id(),
            "user_id": user_id,
            "access_hash": access_hash,
            "refresh_hash": refresh_hash,
            "access_expires_at": now + access_ttl,
            "refresh_expires_at": now + refresh_ttl,
            "created_at": now,
            "revoked_at": None,
        }
        await self.collection.insert_one(document)
        return SessionRecord.model_validate(document)

    @translate_errors
    async def rotate(
        self,
        *,
        session_id: str,
        refresh_hash: str,
        new_access_hash: str,
        new_refresh_hash: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
    ) -> SessionRecord | None:
        """New tokens for a live session, if ``refresh_hash`` is still its refresh token's hash."""
        now = utc_now()
        document = await self.collection.find_one_and_update(
            {
                "_id": session_id,
                "refresh_hash": refresh_hash,
                "revoked_at": None,
                "refresh_expires_at": {"$gt": now},
            },
            {
                "$set": {
                    "access_hash": new_access_hash,
                    "refresh_hash": new_refresh_hash,
                    "access_expires_at": now + access_ttl,
                    "refresh_expires_at": now + refresh_ttl,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return SessionRecord.model_validate(document) if document else None

    @translate_errors
    async def revoke(self, session_id: str) -> None:
        await self.collection.update_one(
            {"_id": session_id, "revoked_at": None}, {"$set": {"revoked_at": utc_now()}}
        )

    @translate_errors
    async def revoke_all(self, user_id: str, *, keep: str | None = None) -> None:
        query: Document = {"user_id": user_id, "revoked_at": None}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        await self.collection.update_many(query, {"$set": {"revoked_at": utc_now()}})


class InvitationStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    @translate_errors
    async def create(
        self, *, email: str, organization_id: str, role: str, token_hash: str, ttl: timedelta, invited_by: str
    ) -> InvitationRecord:
        now = utc_now()
        document: Document = {
            "_id": new_id(),
            "email": normalize_email(email),
            "organization_id": organization_id,
            "role": role,
            "token_hash": token_hash,
            "expires_at": now + ttl,
            "invited_by": invited_by,
            "created_at": now,
            "accepted_at": None,
            "user_id": None,
        }
        await self.collection.insert_one(document)
        return InvitationRecord.model_validate(document)

    @translate_errors
    async def get(self, invitation_id: str) -> InvitationRecord | None:
        document = await self.collection.find_one({"_id": invitation_id})
        return InvitationRecord.model_validate(document) if document else None

    async def claim(
        self, *, invitation_id: str, token_hash: str, user_id: str, session: AsyncClientSession
    ) -> InvitationRecord:
        """Mark the invitation used by ``user_id``, once: InvitationUnusable otherwise."""
        now = utc_now()
        document = await self.collection.find_one_and_update(
            {
                "_id": invitation_id,
                "token_hash": token_hash,
                "accepted_at": None,
                "expires_at": {"$gt": now},
            },
            {"$set": {"accepted_at": now, "user_id": user_id}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if document is None:
            raise InvitationUnusable(invitation_id)
        return InvitationRecord.model_validate(document)


class AttemptCounter:
    """Failed sign-ins per key (an account or a client address) within a fixed window."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    @translate_errors
    async def failures(self, key: str, *, window: timedelta) -> int:
        document = await self.collection.find_one({"_id": key})
        if document is None or document["window_start"] <= utc_now() - window:
            return 0
        count: int = document["count"]
        return count

    @translate_errors
    async def record_failure(self, key: str, *, window: timedelta) -> None:
        now = utc_now()
        renewed = await self.collection.update_one(
            {"_id": key, "window_start": {"$gt": now - window}}, {"$inc": {"count": 1}}
        )
        if renewed.matched_count == 0:  # no window open: start one
            await self.collection.replace_one({"_id": key}, {"window_start": now, "count": 1}, upsert=True)

    @translate_errors
    async def clear(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})


class AuditTrail:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    @translate_errors
    async def record(self, note: AuditNote, *, collection: str, subject_id: str, version: int | None) -> None:
        """An entry for a decision that changes no record of its own (reports dismissed)."""
        await self.collection.insert_one(
            note.entry(collection=collection, subject_id=subject_id, version=version)
        )

    @translate_errors
    async def of_subjects(self, subject_ids: Sequence[str], *, limit: int) -> list[list[AuditEntryRecord]]:
        """The newest ``limit`` entries of each subject, newest first, in the order of ``subject_ids``."""
        grouped: dict[str, list[AuditEntryRecord]] = defaultdict(list)
        cursor = self.collection.find({"subject_id": {"$in": list(subject_ids)}})
        async for document in cursor:
            entry = AuditEntryRecord.model_validate(document)
            grouped[entry.subject_id].append(entry)
        return [sorted(grouped[key], key=lambda e: (e.at, e.id), reverse=True)[:limit] for key in subject_ids]
