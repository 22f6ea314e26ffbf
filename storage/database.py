"""The stores of one database, their indexes, and the client that reaches them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from storage.accounts import (
    AUDIT_INDEXES,
    INVITATION_INDEXES,
    SESSION_INDEXES,
    USER_INDEXES,
    AttemptCounter,
    AuditTrail,
    InvitationStore,
    SessionStore,
    UserStore,
    derive_user,
)
from storage.activity import ACTIVITY_INDEXES, ACTIVITY_OUTBOX
from storage.digests import DIGEST_CLAIMS, DigestStore
from storage.discussions import (
    REPLIES,
    REPLY_INDEXES,
    THREAD_INDEXES,
    THREADS,
    DiscussionStore,
)
from storage.events import (
    EVENT_INDEXES,
    EVENTS,
    REGISTRATION_INDEXES,
    REGISTRATIONS,
    EventRecord,
    RegistrationStore,
    derive_event,
    event_sort_keys,
)
from storage.exchanges import EXCHANGE_INDEXES, ExchangeStore, derive_exchange
from storage.follows import FOLLOW_INDEXES, FOLLOWS, FollowStore
from storage.indicators import INDICATOR_REPORTS, IndicatorReportStore
from storage.moderation import REPORT_INDEXES, REPORTS, ReportStore
from storage.notifications import (
    NOTIFICATION_INDEXES,
    NOTIFICATION_SETTINGS,
    NOTIFICATIONS,
    NotificationStore,
)
from storage.records import (
    CaseStudyRecord,
    ExchangeRecord,
    OrganizationRecord,
    PartnershipRecord,
    PracticeRecord,
    ReplicationRecord,
    UserRecord,
)
from storage.regions import REGION_INDEXES, RegionStore
from storage.store import (
    AUDIT_TRAIL,
    SEARCH_FAILED,
    SEARCH_OUTBOX,
    SEARCH_PENDING_SINCE,
    Document,
    VersionedStore,
    ensure_indexes,
    region_scope,
    sort_key,
    translate_errors,
    utc_now,
)

_NEWEST = (("newest_key", -1),)
_BY_TITLE = (("title_key", 1),)
_CONTENT_INDEXES = (
    _NEWEST,
    _BY_TITLE,
    (("themes", 1), *_NEWEST),
    (("sdgs", 1), *_NEWEST),
    (("region_scope", 1), *_NEWEST),
    (("organization_id", 1), *_NEWEST),
    (("status", 1), *_NEWEST),
    (("readers", 1), *_NEWEST),
)
_EXTRA_INDEXES: dict[str, tuple[tuple[tuple[str, int], ...], ...]] = {
    "practices": ((("stage", 1), *_NEWEST),),
    "case_studies": ((("related_practice_ids", 1), *_NEWEST),),
    "partnerships": (
        (("participant_ids", 1), *_NEWEST),
        (("related_practice_ids", 1), *_NEWEST),
    ),
    "replications": ((("practice_id", 1), *_NEWEST),),
}
_ORGANIZATION_INDEXES = (
    _BY_TITLE,
    _NEWEST,
    (("kind", 1), *_BY_TITLE),
    (("region_scope", 1), *_BY_TITLE),
)


# Raise when derived fields change: the next start computes them again for every record.
DERIVED_FIELDS_MIGRATION = "derived-fields-2"

# Who may read an item, as one indexed field: everyone ("public") once it is published, and
# always its own organization. Reviewers read everything and need no entry.
PUBLIC = "public"


def readers_of(fields: Mapping[str, Any]) -> list[str]:
    status = fields.get("status")
    published = getattr(status, "value", status) == "PUBLISHED"
    return [*([PUBLIC] if published else []), str(fields["organization_id"])]


def _derive_content(fields: Mapping[str, Any]) -> Document:
    derived: Document = {
        "sort_key": sort_key(fields["title"]),
        "region_scope": region_scope(fields.get("region_codes", [])),
        "readers": readers_of(fields),
    }
    if "partners" in fields:  # partnerships: one indexed field for "takes part in", either way
        entries = [*fields.get("partners", []), *fields.get("contributions", [])]
        derived["participant_ids"] = sorted({entry["organization_id"] for entry in entries})
    return derived


def _derive_organization(fields: Mapping[str, Any]) -> Document:
    code = fields.get("region_code")
    return {"sort_key": sort_key(fields["name"]), "region_scope": region_scope([code] if code else [])}


def open_client(
    uri: str, *, timeout_ms: int, listeners: Sequence[monitoring.CommandListener] = ()
) -> AsyncMongoClient[Document]:
    """A client that fails fast when MongoDB is away and reconnects by itself when it returns.

    ``listeners`` are pymongo event listeners (command monitoring feeds the metrics).
    """
    return AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        appname="lumbung",
        event_listeners=list(listeners),
    )


@dataclass(frozen=True, slots=True)
class Stores:
    database: AsyncDatabase[Document]
    regions: RegionStore
    organizations: VersionedStore[OrganizationRecord]
    practices: VersionedStore[PracticeRecord]
    case_studies: VersionedStore[CaseStudyRecord]
    partnerships: VersionedStore[PartnershipRecord]
    replications: VersionedStore[ReplicationRecord]
    exchanges: ExchangeStore
    users: UserStore
    sessions: SessionStore
    invitations: InvitationStore
    sign_in_failures: AttemptCounter
    audit_trail: AuditTrail
    discussions: DiscussionStore
    reports: ReportStore
    events: VersionedStore[EventRecord]
    registrations: RegistrationStore
    follows: FollowStore
    notifications: NotificationStore
    digests: DigestStore
    indicator_reports: IndicatorReportStore

    @classmethod
    def of(cls, database: AsyncDatabase[Document]) -> Stores:
        def content(name: str, record: type[Any], *, searchable: bool = True) -> VersionedStore[Any]:
            return VersionedStore(database[name], record, derive=_derive_content, searchable=searchable)

        return cls(
            database=database,
            regions=RegionStore(database["regions"]),
            organizations=VersionedStore(
                database["organizations"], OrganizationRecord, derive=_derive_organization, searchable=True
            ),
            practices=content("practices", PracticeRecord),
            case_studies=content("case_studies", CaseStudyRecord),
            partnerships=content("partnerships", PartnershipRecord),
            # Replications are found through their practice, not searched on their own.
            replications=content("replications", ReplicationRecord, searchable=False),
            # Peer exchanges are private to their two organizations: never searched.
            exchanges=ExchangeStore(database["exchanges"], ExchangeRecord, derive=derive_exchange),
            users=UserStore(database["users"], UserRecord, derive=derive_user),
            sessions=SessionStore(database["sessions"], users="users", organizations="organizations"),
            invitations=InvitationStore(database["invitations"]),
            sign_in_failures=AttemptCounter(database["sign_in_failures"]),
            audit_trail=AuditTrail(database[AUDIT_TRAIL]),
            discussions=DiscussionStore(database[THREADS], database[REPLIES]),
            reports=ReportStore(database[REPORTS]),
            events=VersionedStore(
                database[EVENTS], EventRecord, derive=derive_event, searchable=True, sort_keys=event_sort_keys
            ),
            registrations=RegistrationStore(database[EVENTS], database[REGISTRATIONS]),
            follows=FollowStore(database[FOLLOWS]),
            notifications=NotificationStore(database[NOTIFICATIONS], database[NOTIFICATION_SETTINGS]),
            digests=DigestStore(
                database[DIGEST_CLAIMS],
                notifications=database[NOTIFICATIONS],
                settings=database[NOTIFICATION_SETTINGS],
            ),
            indicator_reports=IndicatorReportStore(database[INDICATOR_REPORTS]),
        )

    def content(self, collection: str) -> VersionedStore[Any]:
        """The content store of a collection name (threads point at their item by it)."""
        stores = (self.practices, self.case_studies, self.partnerships, self.replications)
        return next(store for store in stores if store.collection.name == collection)

    @property
    def searchable(self) -> list[VersionedStore[Any]]:
        """The stores whose records the search engine indexes."""
        candidates = (
            self.practices,
            self.case_studies,
            self.partnerships,
            self.organizations,
            self.discussions.threads,
            self.events,
        )
        return [store for store in candidates if store.searchable]

    @translate_errors
    async def ensure_indexes(self) -> None:
        await ensure_indexes(self.regions.collection, REGION_INDEXES)
        await ensure_indexes(self.organizations.collection, _ORGANIZATION_INDEXES)
        await ensure_indexes(self.exchanges.collection, EXCHANGE_INDEXES)
        for name in ("practices", "case_studies", "partnerships", "replications"):
            await ensure_indexes(self.database[name], (*_CONTENT_INDEXES, *_EXTRA_INDEXES.get(name, ())))
        for store in self.searchable:  # a reindex re-marks what was written or deleted meanwhile
            await ensure_indexes(store.collection, ((("updated_at", 1),),))
        await ensure_indexes(self.database[SEARCH_OUTBOX], ((("collection", 1), ("deleted_at", 1)),))
        for store in self.searchable:
            await ensure_indexes(store.collection, ((("search_pending", 1), ("_id", 1)),))
            # Records the search engine refused, counted for /readyz. Sparse: it holds only those
            # few, so writes of the others pay almost nothing for it (SecantusDB rewrites every
            # index entry of a document on each update; a partial index, which MongoDB would use
            # as well, SecantusDB's planner left unused for this query).
            await ensure_indexes(store.collection, (((f"{SEARCH_FAILED}.version", 1),),), sparse=True)
            # The oldest pending record, for the backlog on /readyz: sparse for the same reason.
            await ensure_indexes(store.collection, (((SEARCH_PENDING_SINCE, 1),),), sparse=True)
        await ensure_indexes(self.database[SEARCH_OUTBOX], ((("done", 1), ("deleted_at", 1)),))
        await self.users.collection.create_index([("email", 1)], unique=True)
        await ensure_indexes(self.users.collection, USER_INDEXES)
        await ensure_indexes(self.sessions.collection, SESSION_INDEXES)
        await ensure_indexes(self.invitations.collection, INVITATION_INDEXES)
        await ensure_indexes(self.audit_trail.collection, AUDIT_INDEXES)
        await ensure_indexes(self.discussions.threads.collection, THREAD_INDEXES)
        await ensure_indexes(self.discussions.replies.collection, REPLY_INDEXES)
        await ensure_indexes(self.database[ACTIVITY_OUTBOX], ACTIVITY_INDEXES)
        await ensure_indexes(self.database[REPORTS], REPORT_INDEXES)
        await ensure_indexes(self.events.collection, EVENT_INDEXES)
        await ensure_indexes(self.registrations.collection, REGISTRATION_INDEXES)
        await ensure_indexes(self.follows.collection, FOLLOW_INDEXES)
        await ensure_indexes(self.notifications.collection, NOTIFICATION_INDEXES)
        await self.digests.ensure_indexes()
        await self.indicator_reports.ensure_indexes()
        await self._migrate()

    async def _migrate(self) -> None:
        """Bring records stored by older versions up to date, once per database.

        Their stored-only fields (sort keys, region scope, readers) are computed again from
        their own fields, and searchable ones are marked for the indexer.
        """
        migrations = self.database["migrations"]
        if await migrations.find_one({"_id": DERIVED_FIELDS_MIGRATION}) is not None:
            return
        for store in (
            self.organizations,
            self.practices,
            self.case_studies,
            self.partnerships,
            self.replications,
        ):
            await store.rederive_all()
        # An upsert: instances that start together on a new database may both get here.
        await migrations.update_one(
            {"_id": DERIVED_FIELDS_MIGRATION}, {"$setOnInsert": {"done_at": utc_now()}}, upsert=True
        )

    @translate_errors
    async def ping(self) -> None:
        await self.database.command("ping")
