"""The digest sender: each user's unread notifications of the last day or week, by email.

**Periods** are days and ISO weeks in Asia/Jakarta time (WIB, UTC+7, no daylight saving): a
daily digest covers yesterday, 00:00 to 24:00 WIB, and goes out after midnight; a weekly one
covers last week, Monday 00:00 to Monday 00:00 WIB. A digest holds the period's notifications
that are still unread when it is composed, without the reasons the user muted; a user with
none gets no mail, and a user whose digest is NONE never does. A period that passed while no
sender ran is not made up for: the next digest covers its own period only.

**At most once per user and period**, whatever the number of instances and restarts:

1. a lease (``digest-sender``) lets one instance work at a time, which keeps them from doing the
   same work; it is not what makes a second mail impossible;
2. before sending, the sender claims the user's period in MongoDB (``storage/digests.py``): a
   compare-and-set of ``digest_sent_until`` and a ``digest_claims`` record in one transaction.
   Only one claim of a user's period can ever commit;
3. each attempt takes the claim (compare-and-set ``pending`` to ``sending``), sends, and marks it
   ``sent``.

**When sending fails after the claim** the rule is: never twice; retry what certainly failed.
A refusal or an unreachable server (``MailNotSent``) puts the claim back to ``pending`` for a
later round (after 5 minutes, 30 minutes, 2 hours, 6 hours; then ``failed``; a 5xx refusal is
``failed`` at once). A connection lost after the message was handed over (``MailUncertain``),
an unexpected error, or a sender that died during its attempt leaves the claim ``uncertain``,
logged and never retried: the server may have accepted it. A claim whose sender died before
its attempt is ``pending`` and is sent by the next round. A retry composes the digest again:
what was read meanwhile is left out, and an unsubscribe meanwhile skips it.

**The notifier first**: a period's digests wait until the notifier has delivered the activities
of the period (up to an hour), so that a busy notifier does not leave its last minutes out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.errors import MessageError
from urllib.parse import quote
from zoneinfo import ZoneInfo

from resolvers.auth import AuthConfig
from resolvers.digest_mail import Digest, DigestEntry, DigestGroup, build_message
from resolvers.ids import encode_id
from resolvers.mailer import MailNotSent, MailTransport, MailUncertain
from resolvers.unsubscribe import unsubscribe_token
from storage.database import Stores
from storage.digests import ClaimState, DigestClaim, claim_id
from storage.errors import StorageError
from storage.leases import Lease
from storage.notifications import NotificationRecord, NotificationSettings
from storage.records import UserRecord
from storage.store import utc_now
from storage.vocabulary import DigestFrequency, NotificationReason

logger = logging.getLogger("lumbung.digests")

LEASE_NAME = "digest-sender"
JAKARTA = ZoneInfo("Asia/Jakarta")
ROUND_INTERVAL = 60.0
# How long the digests of a period wait for the notifier to deliver its activities.
NOTIFIER_GRACE = timedelta(hours=1)
# After this long an attempt counts as lost (its sender died): longer than any SMTP exchange.
ATTEMPT_DEADLINE = timedelta(minutes=15)
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# What one digest lists: the newest of the period, a few per reason (the counts are all of them).
MAX_LISTED = 200
MAX_PER_REASON = 10
USER_BATCH = 100
MAX_RETRIES_PER_ROUND = 500
# Subjects the web client has no page of: their entries link to the hub's start page. (None
# now: "#/item/<id>" of an exchange request opens that request on the exchanges page.)
_NO_PAGE: frozenset[str] = frozenset()

FaultPoint = Callable[[str], Awaitable[None]]


async def _no_fault(step: str) -> None:
    del step


@dataclass(frozen=True, slots=True)
class Period:
    frequency: DigestFrequency
    first_day: date
    last_day: date
    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, frequency: DigestFrequency, first_day: date, days: int) -> Period:
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), JAKARTA).astimezone(UTC)

        last_day = first_day + timedelta(days=days - 1)
        return cls(
            frequency, first_day, last_day, midnight(first_day), midnight(last_day + timedelta(days=1))
        )

    @classmethod
    def of_claim(cls, claim: DigestClaim) -> Period:
        first_day = claim.period_start.astimezone(JAKARTA).date()
        days = (claim.period_end.astimezone(JAKARTA).date() - first_day).days
        return cls.of_days(claim.frequency, first_day, days)


def previous_period(frequency: DigestFrequency, now: datetime) -> Period:
    """Yesterday, or last ISO week (Monday to Sunday), in Jakarta time."""
    today = now.astimezone(JAKARTA).date()
    if frequency is DigestFrequency.DAILY:
        return Period.of_days(frequency, today - timedelta(days=1), 1)
    if frequency is DigestFrequency.WEEKLY:
        this_monday = today - timedelta(days=today.weekday())
        return Period.of_days(frequency, this_monday - timedelta(days=7), 7)
    raise ValueError(f"{frequency} has no period")


@dataclass(frozen=True, slots=True)
class DigestConfig:
    """What the mails say about the hub: its public address, the sender, the signing key."""

    auth: AuthConfig
    public_url: str
    mail_from: str


@dataclass(slots=True)
class DigestRound:
    """What one round did (for the tests and the log)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0

    def __bool__(self) -> bool:
        return any((self.sent, self.retrying, self.failed, self.uncertain, self.skipped))


class DigestSender:
    def __init__(
        self,
        *,
        stores: Stores,
        transport: MailTransport,
        config: DigestConfig,
        owner: str,
        lease_ttl: timedelta = timedelta(seconds=60),
        interval: float = ROUND_INTERVAL,
        fault: FaultPoint = _no_fault,
    ) -> None:
        self.stores = stores
        self.transport = transport
        self.config = config
        self.owner = owner
        self.interval = interval
        self.fault = fault
        self.lease = Lease(stores.database["leases"], name=LEASE_NAME, owner=owner, ttl=lease_ttl)

    # --- composing -------------------------------------------------------------------------

    def _item_url(self, type_name: str, local_id: str) -> str:
        return f"{self.config.public_url}/#/item/{quote(encode_id(type_name, local_id), safe='')}"

    async def _links(self, records: Sequence[NotificationRecord]) -> list[str]:
        """Each notification's page in the web client: its subject's, a reply's thread's."""
        reply_ids = sorted({r.subject_id for r in records if r.subject_type == "Reply"})
        replies = await self.stores.discussions.replies.get_many(reply_ids) if reply_ids else []
        thread_of = {reply.id: reply.thread_id for reply in replies if reply is not None}
        hub = f"{self.config.public_url}/"
        links = []
        for record in records:
            if record.subject_type == "Reply":
                thread = thread_of.get(record.subject_id)
                links.append(self._item_url("Thread", thread) if thread else hub)
            elif record.subject_type in _NO_PAGE:
                links.append(hub)
            else:
                links.append(self._item_url(record.subject_type, record.subject_id))
        return links

    async def compose(
        self, user: UserRecord, settings: NotificationSettings, period: Period
    ) -> Digest | None:
        """The user's digest of ``period`` as it stands now; None when there is nothing to tell."""
        user_id, start, end, muted = user.id, period.start, period.end, settings.muted_reasons
        counts = await self.stores.digests.unread_counts(user_id=user_id, start=start, end=end, muted=muted)
        if not counts:
            return None
        records = await self.stores.digests.unread(
            user_id=user_id, start=start, end=end, muted=muted, limit=MAX_LISTED
        )
        links = await self._links(records)
        entries: dict[NotificationReason, list[DigestEntry]] = {}
        for record, link in zip(records, links, strict=True):
            listed = entries.setdefault(record.reason, [])
            if len(listed) < MAX_PER_REASON:
                listed.append(DigestEntry(record.summary, record.actor_name, record.subject_type, link))
        token = unsubscribe_token(self.config.auth, user.id)
        return Digest(
            claim_id=claim_id(user.id, period.frequency, period.start),
            name=user.name,
            email=user.email,
            language=settings.language,
            frequency=period.frequency,
            first_day=period.first_day,
            last_day=period.last_day,
            week=period.first_day.isocalendar().week,
            # In the vocabulary's order, so that every digest reads the same way.
            groups=[
                DigestGroup(reason, entries.get(reason, []), counts[reason])
                for reason in NotificationReason
                if reason in counts
            ],
            hub_url=f"{self.config.public_url}/",
            unsubscribe_url=f"{self.config.public_url}/unsubscribe?token={token}",
        )

    # --- sending ---------------------------------------------------------------------------

    async def _attempt(self, claim: DigestClaim, digest: Digest, now: datetime, done: DigestRound) -> None:
        try:
            message = build_message(digest, mail_from=self.config.mail_from, now=now)
        except (ValueError, MessageError) as exc:  # an address no header can carry
            await self.stores.digests.close_pending(claim, ClaimState.FAILED, reason=f"unsendable: {exc}")
            logger.warning("digest %s cannot be written as a message: %s", claim.id, exc)
            done.failed += 1
            return
        deadline = now + ATTEMPT_DEADLINE
        started = await self.stores.digests.start_attempt(claim, owner=self.owner, deadline=deadline)
        if started is None:  # another sender took this attempt
            return
        await self.fault("attempt-started")
        try:
            await self.transport.send(message)
        except MailNotSent as exc:
            if exc.permanent or started.attempts >= MAX_ATTEMPTS:
                await self.stores.digests.mark_final(started, ClaimState.FAILED, error=str(exc))
                logger.warning("digest %s failed after %d attempt(s): %s", claim.id, started.attempts, exc)
                done.failed += 1
            else:
                retry_at = now + RETRY_DELAYS[started.attempts - 1]
                await self.stores.digests.mark_retry(started, at=retry_at, error=str(exc))
                logger.warning("digest %s not sent (%s); retrying at %s", claim.id, exc, retry_at.isoformat())
                done.retrying += 1
            return
        except Exception as exc:  # MailUncertain or a bug: the server may have it; never resend
            await self.stores.digests.mark_final(started, ClaimState.UNCERTAIN, error=str(exc))
            if isinstance(exc, MailUncertain):
                logger.warning("digest %s may or may not have been sent; not retried: %s", claim.id, exc)
            else:
                logger.exception("digest %s: unexpected failure while sending; not retried", claim.id)
            done.uncertain += 1
            return
        await self.fault("sent")
        await self.stores.digests.mark_sent(started, now=now)
        done.sent += 1

    async def _retry(self, claim: DigestClaim, now: datetime, done: DigestRound) -> None:
        (settings,) = await self.stores.notifications.settings_of([claim.user_id])
        (user,) = await self.stores.users.get_many([claim.user_id])
        digest = None
        if user is not None and settings.digest is not DigestFrequency.NONE:
            digest = await self.compose(user, settings, Period.of_claim(claim))
        if digest is None:
            reason = "nothing left to tell, or no digest wanted any more"
            await self.stores.digests.close_pending(claim, ClaimState.SKIPPED, reason=reason)
            done.skipped += 1
            return
        await self._attempt(claim, digest, now, done)

    async def _period(self, period: Period, now: datetime, done: DigestRound) -> bool:
        """Claim and send the period's digests; False when the lease was lost on the way."""
        users = await self.stores.digests.users_with_unread(start=period.start, end=period.end)
        for offset in range(0, len(users), USER_BATCH):
            batch = users[offset : offset + USER_BATCH]
            due = [
                settings
                for settings in await self.stores.notifications.settings_of(batch)
                if settings.digest is period.frequency
                and (settings.digest_sent_until is None or settings.digest_sent_until < period.end)
            ]
            records = await self.stores.users.get_many([settings.id for settings in due])
            for settings, user in zip(due, records, strict=True):
                if user is None:
                    continue
                if not await self.lease.acquire():  # another instance took over: it goes on
                    return False
                digest = await self.compose(user, settings, period)
                if digest is None:
                    continue
                claim = await self.stores.digests.claim(
                    user_id=user.id,
                    frequency=period.frequency,
                    period_start=period.start,
                    period_end=period.end,
                    sent_until=settings.digest_sent_until,
                    owner=self.owner,
                    now=now,
                )
                if claim is None:  # someone else claimed it, or the user unsubscribed meanwhile
                    continue
                await self.fault("claimed")
                await self._attempt(claim, digest, now, done)
        return True

    async def run_once(self, *, now: datetime | None = None) -> DigestRound:
        """One round at ``now``: lost attempts settled, due retries made, then each period's digests."""
        now = now or utc_now()
        done = DigestRound()
        if not await self.lease.acquire():
            return done
        for claim in await self.stores.digests.abandon_overdue(now):
            logger.warning("digest %s: its sender stopped while sending; not retried", claim.id)
            done.uncertain += 1
        for claim in await self.stores.digests.due(now, limit=MAX_RETRIES_PER_ROUND):
            if not await self.lease.acquire():
                return done
            await self._retry(claim, now, done)
        for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
            period = previous_period(frequency, now)
            if now < period.end + NOTIFIER_GRACE and await self.stores.digests.undelivered_before(period.end):
                continue  # the notifier still delivers the period's activities: a later round
            if not await self._period(period, now, done):
                return done
        return done

    async def run(self) -> None:
        """The background loop: a round a minute (a round sends only what is due)."""
        while True:
            try:
                done = await self.run_once()
                if done:
                    logger.info("digests: %s", done)
            except StorageError as exc:
                logger.warning("digests paused: %s", exc)
            except Exception:
                logger.exception("digests failed unexpectedly")
            await asyncio.sleep(self.interval)
