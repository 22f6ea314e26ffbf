"""Email digests: once per user and period, in the user's language, over a real SMTP server.

The SMTP server is aiosmtpd, run in this process (its own thread) on a free loopback port,
with STARTTLS (a certificate of a throwaway CA from ``trustme``) and AUTH required. The
senders run with a clock of their own: each test calls ``run_once(now=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import logging
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr, ValidationError

from resolvers.digest_mail import Digest, period_label
from resolvers.digests import DigestConfig, DigestSender, Period, previous_period
from resolvers.ids import encode_id
from resolvers.mailer import MailNotSent, MailTransport
from resolvers.notifier import Notifier
from resolvers.unsubscribe import unsubscribe_token
from server.mail import FileTransport, SmtpTransport
from server.settings import Environment, Settings, SmtpEndpoint, parse_smtp_url
from server.supervisor import LocalService, free_port
from storage.database import Stores
from storage.digests import ClaimState
from storage.notifications import notification_id
from storage.records import UserRecord
from storage.store import new_id
from storage.vocabulary import DigestFrequency, Language, NotificationReason, OrganizationKind, Role
from tests.conftest import running_app, settings_for
from tests.support import (
    TEST_AUTH,
    GraphQLClient,
    create_organization,
    create_practice,
    organization_record,
    user_with_token,
)
from tests.test_discussions import REPLY, START, _local

# Wednesday 13 May 2026, 08:00 in Jakarta: the daily digest covers Tuesday 12 May (WIB), the
# weekly one the ISO week 19, Monday 4 to Sunday 10 May.
NOW = datetime(2026, 5, 13, 1, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)  # 10:00 WIB on the 12th
TODAY = datetime(2026, 5, 13, 0, 30, tzinfo=UTC)  # 07:30 WIB on the 13th: tomorrow's digest
LAST_WEEK = datetime(2026, 5, 6, 3, 0, tzinfo=UTC)
PUBLIC_URL = "https://hub.example.org"
CONFIG = DigestConfig(auth=TEST_AUTH, public_url=PUBLIC_URL, mail_from="Lumbung <no-reply@hub.example.org>")
SMTP_USER, SMTP_PASSWORD = "lumbung", "rahasia-smtp"
DASH = "\N{EN DASH}"


# --- the SMTP server ---------------------------------------------------------------------------


@dataclass
class Received:
    envelope_from: str | None
    recipients: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class Inbox:
    """The test server's handler: keeps what it accepts; refuses or hangs up when told to."""

    received: list[Received] = field(default_factory=list)
    # Answer "451 try again later" to this many messages.
    refuse: int = 0
    # Take this many messages, then drop the connection instead of answering.
    hang_up: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Coba lagi nanti"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,
                tls=server.transport is not None
                and server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        if self.hang_up:
            self.hang_up -= 1
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.recipients]


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    expected = LoginPassword(SMTP_USER.encode(), SMTP_PASSWORD.encode())
    # handled=False: aiosmtpd answers 535 itself to a refusal.
    return AuthResult(success=isinstance(auth_data, LoginPassword) and auth_data == expected, handled=False)


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls() -> Tls:
    """A CA made for these tests, and a certificate of it for 127.0.0.1."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return Tls(server, client)


@contextlib.contextmanager
def smtp_server(tls: Tls, *, mode: str = "starttls", auth: bool = True) -> Iterator[tuple[Inbox, int]]:
    """``mode``: "starttls" (required before AUTH and MAIL), "implicit" (TLS from the start), "plain"."""
    inbox, port = Inbox(), free_port()
    options: dict[str, Any] = {}
    if mode == "starttls":
        options.update(tls_context=tls.server, require_starttls=True)
    elif mode == "implicit":
        options.update(ssl_context=tls.server)
    if auth:
        # aiosmtpd knows of TLS only after its own STARTTLS: elsewhere AUTH is offered, not
        # required (and the tests check that the client did log in).
        required = mode == "starttls"
        options.update(authenticator=_authenticate, auth_required=required, auth_require_tls=required)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _transport(tls: Tls, port: int, *, query: str = "", password: str = SMTP_PASSWORD) -> SmtpTransport:
    endpoint = parse_smtp_url(f"smtp://{SMTP_USER}:{quote(password)}@127.0.0.1:{port}{query}")
    return SmtpTransport(endpoint, tls_context=tls.client, timeout=10)


@dataclass
class Mail:
    inbox: Inbox
    transport: SmtpTransport


@pytest.fixture
def mail(tls: Tls) -> Iterator[Mail]:
    """The SMTP server with STARTTLS and AUTH required, and a transport that logs in to it."""
    with smtp_server(tls) as (inbox, port):
        yield Mail(inbox, _transport(tls, port))


# --- users, notifications, senders -------------------------------------------------------------


async def _user(
    stores: Stores,
    name: str,
    *,
    digest: DigestFrequency | None = DigestFrequency.DAILY,
    language: Language = Language.ID,
    muted: Sequence[NotificationReason] = (),
) -> UserRecord:
    """A member; ``digest`` None leaves the settings unsaved (the defaults: weekly, Indonesian)."""
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
    user, _ = await user_with_token(
        stores, role=Role.MEMBER, organization_id=organization.id, name=name, email=f"{slug}@contoh.go.id"
    )
    if digest is not None:
        fields = {
            "digest": digest.value,
            "language": language.value,
            "muted_reasons": [m.value for m in muted],
        }
        await stores.notifications.save_settings(user.id, fields)
    return user


async def _notify(
    stores: Stores,
    user: UserRecord,
    *,
    at: datetime = YESTERDAY,
    reason: NotificationReason = NotificationReason.ANSWER_TO_MY_QUESTION,
    summary: str | None = "Berapa biaya bank sampah per RW?",
    subject_type: str = "Thread",
    actor_name: str | None = "Pak Budi",
    read: bool = False,
) -> str:
    activity = new_id()
    document: dict[str, Any] = {
        "_id": notification_id(activity, user.id),
        "user_id": user.id,
        "reason": reason.value,
        "activity_id": activity,
        "actor_name": actor_name,
        "subject_type": subject_type,
        "subject_id": new_id(),
        "summary": summary,
        "created_at": at,
    }
    await stores.notifications.deliver([document])
    if read:
        await stores.notifications.mark_read(user_id=user.id, ids=[document["_id"]])
    return str(document["subject_id"])


def _sender(
    stores: Stores, transport: MailTransport, *, owner: str = "sender-1", **options: Any
) -> DigestSender:
    return DigestSender(stores=stores, transport=transport, config=CONFIG, owner=owner, **options)


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    text, markup = plain.get_content(), rich.get_content()
    assert isinstance(text, str)
    assert isinstance(markup, str)
    return text, markup


async def _lease_gone(stores: Stores) -> None:
    """A sender that died: its lease is gone (it would expire by itself)."""
    await stores.database["leases"].delete_many({})


# --- periods -------------------------------------------------------------------------------------


def test_periods_are_yesterday_and_last_iso_week_in_jakarta_time() -> None:
    # given Sunday 17 May 2026, 23:59 WIB, and a minute later, Monday 00:00 WIB
    sunday_night = datetime(2026, 5, 17, 16, 59, tzinfo=UTC)
    monday = datetime(2026, 5, 17, 17, 0, tzinfo=UTC)
    # then the day and week roll over at midnight in Jakarta, not in UTC
    assert previous_period(DigestFrequency.DAILY, sunday_night).first_day == date(2026, 5, 16)
    assert previous_period(DigestFrequency.WEEKLY, sunday_night).first_day == date(2026, 5, 4)
    daily, weekly = (previous_period(f, monday) for f in (DigestFrequency.DAILY, DigestFrequency.WEEKLY))
    assert (daily.first_day, daily.start, daily.end) == (
        date(2026, 5, 17),
        datetime(2026, 5, 16, 17, 0, tzinfo=UTC),
        monday,
    )
    assert (weekly.first_day, weekly.last_day) == (date(2026, 5, 11), date(2026, 5, 17))
    assert (weekly.start, weekly.end) == (datetime(2026, 5, 10, 17, 0, tzinfo=UTC), monday)


def _labelled(period: Period, language: Language) -> str:
    digest = Digest(
        claim_id="x",
        name="x",
        email="x@contoh.go.id",
        language=language,
        frequency=period.frequency,
        first_day=period.first_day,
        last_day=period.last_day,
        week=period.first_day.isocalendar().week,
        groups=[],
        hub_url=PUBLIC_URL,
        unsubscribe_url=PUBLIC_URL,
    )
    return period_label(digest)


def test_period_labels_name_the_day_or_the_iso_week() -> None:
    new_year = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 5 January 2026, 08:00 WIB
    weekly = previous_period(DigestFrequency.WEEKLY, new_year)
    assert _labelled(weekly, Language.ID) == f"pekan 1 (29 Desember 2025 {DASH} 4 Januari 2026)"
    assert _labelled(weekly, Language.EN) == f"week 1 (29 December 2025 {DASH} 4 January 2026)"
    assert (
        _labelled(previous_period(DigestFrequency.WEEKLY, NOW), Language.ID)
        == f"pekan 19 (4{DASH}10 Mei 2026)"
    )
    assert _labelled(previous_period(DigestFrequency.DAILY, NOW), Language.EN) == "Tuesday 12 May 2026"


# --- once per period ---------------------------------------------------------------------------


async def test_digest_is_sent_once_per_period_with_two_senders_and_after_a_restart(
    stores: Stores, mail: Mail
) -> None:
    # given two users with unread notifications of yesterday, and two instances' senders
    sari, budi = await _user(stores, "Bu Sari"), await _user(stores, "Pak Budi")
    for user in (sari, budi, sari):
        await _notify(stores, user)
    first, second = _sender(stores, mail.transport), _sender(stores, mail.transport, owner="sender-2")
    # when both run at once, then again an hour later
    await asyncio.gather(first.run_once(now=NOW), second.run_once(now=NOW))
    await asyncio.gather(first.run_once(now=NOW + timedelta(hours=1)), second.run_once(now=NOW))
    # and the instance restarts (its lease released on the way out) and runs again
    await first.lease.release()
    restarted = _sender(stores, mail.transport, owner="sender-3")
    again = await restarted.run_once(now=NOW + timedelta(hours=2))
    # then each user got one digest of that day
    assert len(mail.inbox.to(sari.email)) == 1
    assert len(mail.inbox.to(budi.email)) == 1
    assert not again
    assert [c.state for c in await stores.digests.claims_of(sari.id)] == [ClaimState.SENT]
    # and the next day brings the next day's digest
    await _notify(stores, sari, at=TODAY)
    await restarted.run_once(now=NOW + timedelta(days=1))
    assert len(mail.inbox.to(sari.email)) == 2


async def test_the_claim_holds_even_when_the_lease_does_not(stores: Stores, mail: Mail) -> None:
    # given five users, and three senders that all hold the lease (one owner: a stalled holder
    # whose lease another took over looks the same to MongoDB)
    users = [await _user(stores, f"Pengguna {n}") for n in range(5)]
    for user in users:
        await _notify(stores, user)
    senders = [_sender(stores, mail.transport, owner="same") for _ in range(3)]
    # when they run at once
    rounds = await asyncio.gather(*(sender.run_once(now=NOW) for sender in senders))
    # then each user got exactly one digest
    assert sum(done.sent for done in rounds) == 5
    assert sorted(r.recipients[0] for r in mail.inbox.received) == sorted(u.email for u in users)


async def test_weekly_digest_covers_last_iso_week_and_defaults_apply(stores: Stores, mail: Mail) -> None:
    # given a user who never saved settings (weekly, Indonesian) with notifications on both
    # sides of Monday 00:00 WIB, and a daily user with one of last week only
    weekly = await _user(stores, "Bu Rina", digest=None)
    daily = await _user(stores, "Mas Yoga")
    sunday_night = datetime(2026, 5, 10, 16, 30, tzinfo=UTC)  # Sunday 23:30 WIB: last week
    monday_morning = datetime(2026, 5, 10, 17, 30, tzinfo=UTC)  # Monday 00:30 WIB: this week
    await _notify(stores, weekly, at=sunday_night, summary="Minggu malam")
    await _notify(stores, weekly, at=monday_morning, summary="Senin pagi")
    await _notify(stores, daily, at=LAST_WEEK)
    # when the sender runs on Wednesday
    await _sender(stores, mail.transport).run_once(now=NOW)
    # then the weekly user's digest has last week's one only, and the daily user gets nothing
    (message,) = mail.inbox.to(weekly.email)
    text, _ = _parts(message)
    assert "Minggu malam" in text
    assert "Senin pagi" not in text
    assert message["Subject"] == (
        "Ringkasan mingguan Lumbung: 1 pemberitahuan belum dibaca, pekan 19 (4-10 Mei 2026)"
    )
    assert mail.inbox.to(daily.email) == []


async def test_only_unread_unmuted_notifications_and_never_for_digest_none(
    stores: Stores, mail: Mail
) -> None:
    # given a user who muted a reason, one who wants no digest, one whose only news is read
    muted = await _user(stores, "Bu Muted", muted=[NotificationReason.REVIEW_STEP])
    none = await _user(stores, "Pak None", digest=DigestFrequency.NONE)
    reader = await _user(stores, "Bu Reader")
    mixed = await _user(stores, "Pak Mixed")
    await _notify(stores, muted, reason=NotificationReason.REVIEW_STEP, summary="Perlu perbaikan")
    await _notify(stores, none)
    await _notify(stores, reader, read=True)
    await _notify(stores, mixed, summary="Sudah dibaca", read=True)
    await _notify(stores, mixed, summary="Belum dibaca")
    await _notify(stores, mixed, summary="Dari hari ini", at=TODAY)
    # when the sender runs
    done = await _sender(stores, mail.transport).run_once(now=NOW)
    # then only the last has something to tell: yesterday's unread one
    assert done.sent == 1
    assert [r.recipients for r in mail.inbox.received] == [[mixed.email]]
    text, _ = _parts(mail.inbox.received[0].message)
    assert "Belum dibaca" in text
    assert "Sudah dibaca" not in text
    assert "Dari hari ini" not in text
    # and nobody with nothing to tell was claimed
    for user in (muted, none, reader):
        assert await stores.digests.claims_of(user.id) == []


# --- the message -------------------------------------------------------------------------------


async def test_digest_is_in_the_users_language_with_text_and_escaped_html(stores: Stores, mail: Mail) -> None:
    # given an Indonesian and an English user, each with a summary that holds markup
    sari = await _user(stores, "Bu Sari")
    john = await _user(stores, "John <b>Doe</b>", language=Language.EN)
    hostile = 'Biaya? <script>alert("x")</script> & "kutipan"'
    for user in (sari, john):
        thread = await _notify(stores, user, summary=hostile)
        await _notify(
            stores, user, reason=NotificationReason.EVENT_CANCELLED, summary=None, subject_type="Event"
        )
    # when the sender runs
    await _sender(stores, mail.transport).run_once(now=NOW)
    # then each is in the user's own words, grouped by reason
    (indonesian,) = mail.inbox.to(sari.email)
    (english,) = mail.inbox.to(john.email)
    assert indonesian["Subject"] == "Ringkasan Lumbung: 2 pemberitahuan belum dibaca, Selasa 12 Mei 2026"
    assert english["Subject"] == "Lumbung digest: 2 unread notifications, Tuesday 12 May 2026"
    assert indonesian["Content-Language"] == "id"
    assert english["Content-Language"] == "en"
    assert indonesian.get_content_type() == "multipart/alternative"
    text_id, html_id = _parts(indonesian)
    text_en, html_en = _parts(english)
    assert "Halo Bu Sari," in text_id
    assert "Jawaban atas pertanyaan Anda (1)" in text_id
    assert "Kegiatan dibatalkan (1)" in text_id
    assert "  - Kegiatan (oleh Pak Budi)" in text_id
    assert "Hello John <b>Doe</b>," in text_en
    assert "An answer to your question (1)" in text_en
    assert "  - An event (by Pak Budi)" in text_en
    # the plain text as written, the HTML escaped: no markup of anyone's gets through
    assert hostile in text_id
    for markup in (html_id, html_en):
        assert "<script>" not in markup
        assert "<b>Doe" not in markup
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;kutipan&quot;" in markup
    assert "Hello John &lt;b&gt;Doe&lt;/b&gt;," in html_en
    # each entry links to its subject's page, and the mail to the hub and the unsubscribe page
    link = f"{PUBLIC_URL}/#/item/{quote(encode_id('Thread', thread), safe='')}"
    assert link in text_en
    assert f'href="{link}"' in html_en
    token = unsubscribe_token(TEST_AUTH, john.id)
    assert english["List-Unsubscribe"] == f"<{PUBLIC_URL}/unsubscribe?token={token}>"
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{PUBLIC_URL}/unsubscribe?token={token}" in text_en
    assert english["From"] == "Lumbung <no-reply@hub.example.org>"
    assert english["To"].addresses[0].addr_spec == john.email


async def test_a_reply_links_to_its_thread(api: GraphQLClient, stores: Stores, mail: Mail) -> None:
    # given a question answered through the API, and the notifier's delivery of it
    owner_org = await create_organization(api, name="Pemerintah Kelurahan Depok Jaya")
    asker_org = await create_organization(api, name="Pemerintah Kelurahan Keputih")
    asker, asker_token = await user_with_token(
        stores, role=Role.MEMBER, organization_id=_local(asker_org), name="Bu Sari"
    )
    _, owner_token = await user_with_token(
        stores, role=Role.MEMBER, organization_id=_local(owner_org), name="Pak Budi"
    )
    practice = await create_practice(api, owner_org, published=True)
    asked = await api.as_user(asker_token).mutate(
        START,
        {"subjectId": practice["id"], "kind": "QUESTION", "title": "Berapa biayanya?", "body": "Mohon."},
    )
    await api.as_user(owner_token).mutate(REPLY, {"threadId": asked["thread"]["id"], "body": "Dua juta."})
    notifier = Notifier(stores=stores, owner="test")
    while await notifier.run_once():
        pass
    (notification,) = await stores.notifications.collection.find({"user_id": asker.id}).to_list()
    await stores.notifications.save_settings(asker.id, {"digest": DigestFrequency.DAILY.value})
    # when the digest of that day goes out, the morning after
    morning = previous_period(DigestFrequency.DAILY, notification["created_at"] + timedelta(days=1)).end
    await _sender(stores, mail.transport).run_once(now=morning + timedelta(hours=1))
    # then its entry opens the thread (the web client shows it on its item's page)
    (message,) = mail.inbox.to(asker.email)
    text, _ = _parts(message)
    assert f"{PUBLIC_URL}/#/item/{quote(asked['thread']['id'], safe='')}" in text
    assert "Jawaban atas pertanyaan Anda (1)" in text


# --- failures after the claim ------------------------------------------------------------------


async def test_a_refused_digest_is_retried_later_and_sent_once(stores: Stores, mail: Mail) -> None:
    # given a server that refuses the first message for now (451)
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    mail.inbox.refuse = 1
    sender = _sender(stores, mail.transport)
    # when the sender runs, a minute later, and after the first retry delay
    first = await sender.run_once(now=NOW)
    early = await sender.run_once(now=NOW + timedelta(minutes=1))
    retried = await sender.run_once(now=NOW + timedelta(minutes=6))
    after = await sender.run_once(now=NOW + timedelta(hours=3))
    # then it went out once, on the retry
    assert (first.retrying, early.sent, retried.sent, after.sent) == (1, 0, 1, 0)
    assert len(mail.inbox.to(sari.email)) == 1
    (claim,) = await stores.digests.claims_of(sari.id)
    assert (claim.state, claim.attempts) == (ClaimState.SENT, 2)


async def test_a_digest_the_server_may_have_is_never_sent_again(stores: Stores, mail: Mail) -> None:
    # given a server that takes the message, then drops the connection instead of answering
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    mail.inbox.hang_up = 1
    sender = _sender(stores, mail.transport)
    # when the sender runs, and again later
    first = await sender.run_once(now=NOW)
    later = await sender.run_once(now=NOW + timedelta(hours=12))
    # then it is uncertain, left so: the one copy the server has is the only one
    assert (first.uncertain, later.sent) == (1, 0)
    assert len(mail.inbox.to(sari.email)) == 1
    (claim,) = await stores.digests.claims_of(sari.id)
    assert claim.state is ClaimState.UNCERTAIN


async def test_a_sender_that_dies_after_claiming_is_followed_by_one_that_sends(
    stores: Stores, mail: Mail
) -> None:
    # given a sender that dies right after claiming the user's period
    async def crash(step: str) -> None:
        if step == "claimed":
            raise RuntimeError(f"killed at {step}")

    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    with pytest.raises(RuntimeError):
        await _sender(stores, mail.transport, owner="doomed", fault=crash).run_once(now=NOW)
    await _lease_gone(stores)
    # when another instance runs
    done = await _sender(stores, mail.transport).run_once(now=NOW + timedelta(minutes=1))
    # then the claimed digest goes out, once
    assert done.sent == 1
    assert len(mail.inbox.to(sari.email)) == 1


async def test_a_sender_that_dies_while_sending_leaves_it_uncertain(stores: Stores, mail: Mail) -> None:
    # given a sender that dies during its attempt (it may or may not have handed the message over)
    async def crash(step: str) -> None:
        if step == "attempt-started":
            raise RuntimeError(f"killed at {step}")

    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    with pytest.raises(RuntimeError):
        await _sender(stores, mail.transport, owner="doomed", fault=crash).run_once(now=NOW)
    await _lease_gone(stores)
    sender = _sender(stores, mail.transport)
    # when other rounds run, before and after the attempt's deadline
    soon = await sender.run_once(now=NOW + timedelta(minutes=1))
    late = await sender.run_once(now=NOW + timedelta(minutes=20))
    # then nothing is sent: the attempt is marked uncertain, never made again
    assert (soon.sent, late.sent, late.uncertain) == (0, 0, 1)
    assert mail.inbox.received == []
    (claim,) = await stores.digests.claims_of(sari.id)
    assert claim.state is ClaimState.UNCERTAIN


async def test_a_digest_no_header_can_carry_fails_without_an_attempt(stores: Stores, mail: Mail) -> None:
    # given a user whose stored address is malformed
    sari = await _user(stores, "Bu Sari")
    await stores.users.collection.update_one({"_id": sari.id}, {"$set": {"email": "sari@@contoh"}})
    await _notify(stores, sari)
    # when the sender runs, and again later
    first = await _sender(stores, mail.transport).run_once(now=NOW)
    later = await _sender(stores, mail.transport).run_once(now=NOW + timedelta(hours=1))
    # then it failed once, for good, and nothing went out
    assert (first.failed, later.failed, later.sent) == (1, 0, 0)
    (claim,) = await stores.digests.claims_of(sari.id)
    assert (claim.state, claim.attempts) == (ClaimState.FAILED, 0)
    assert mail.inbox.received == []


# --- unsubscribing -----------------------------------------------------------------------------


async def test_unsubscribe_link_works_at_once_without_signing_in(
    api: GraphQLClient, stores: Stores, mail: Mail
) -> None:
    # given a digest received
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    sender = _sender(stores, mail.transport)
    await sender.run_once(now=NOW)
    (message,) = mail.inbox.to(sari.email)
    url = urlsplit(str(message["List-Unsubscribe"]).strip("<>"))
    link = f"{url.path}?{url.query}"
    # when its link is opened, and its one-click unsubscribe posted (RFC 8058), anonymously
    page = await api.http.get(link)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert "Berhenti menerima ringkasan email Lumbung untuk Bu Sari?" in page.text
    assert (await stores.notifications.settings_of([sari.id]))[0].digest is DigestFrequency.DAILY
    done = await api.http.post(link, data={"List-Unsubscribe": "One-Click"})
    # then the digests stop at once: the next day's news brings no mail
    assert done.status_code == 200
    assert "tidak akan menerima" in done.text
    assert done.headers["cache-control"] == "no-store"
    assert done.headers["referrer-policy"] == "no-referrer"
    assert (await stores.notifications.settings_of([sari.id]))[0].digest is DigestFrequency.NONE
    await _notify(stores, sari, at=TODAY)
    assert not await sender.run_once(now=NOW + timedelta(days=1))
    assert len(mail.inbox.to(sari.email)) == 1
    again = await api.http.get(link)
    assert "sudah tidak menerima" in again.text


async def test_a_pending_retry_is_dropped_after_unsubscribing(stores: Stores, mail: Mail) -> None:
    # given a digest refused for now, and its user unsubscribing before the retry
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    mail.inbox.refuse = 1
    sender = _sender(stores, mail.transport)
    await sender.run_once(now=NOW)
    await stores.notifications.save_settings(sari.id, {"digest": DigestFrequency.NONE.value})
    # when the retry is due
    done = await sender.run_once(now=NOW + timedelta(hours=1))
    # then it is skipped
    assert (done.sent, done.skipped) == (0, 1)
    assert mail.inbox.received == []


async def test_a_forged_or_altered_unsubscribe_token_is_refused(api: GraphQLClient, stores: Stores) -> None:
    sari, budi = await _user(stores, "Bu Sari"), await _user(stores, "Pak Budi")
    token = unsubscribe_token(TEST_AUTH, sari.id)
    signature = token.rpartition(".")[2]
    forged = [
        f"digest.{budi.id}.{signature}",  # another user's ID under Sari's signature
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # an altered signature
        f"digest.{sari.id}.{'x' * 43}",
        "digest",
        "",
    ]
    for bad in forged:
        for method in ("GET", "POST"):
            response = await api.http.request(method, "/unsubscribe", params={"token": bad})
            assert response.status_code == 400, (bad, method)
            assert "tidak sah" in response.text
    settings = await stores.notifications.settings_of([sari.id, budi.id])
    assert [s.digest for s in settings] == [DigestFrequency.DAILY, DigestFrequency.DAILY]


# --- SMTP and the development fallback ---------------------------------------------------------


async def test_smtp_uses_starttls_and_auth(mail: Mail, stores: Stores) -> None:
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    await _sender(stores, mail.transport).run_once(now=NOW)
    (received,) = mail.inbox.received
    assert received.tls
    assert received.authenticated
    assert received.envelope_from == "no-reply@hub.example.org"


async def test_smtp_refusals_are_reported_as_not_sent(tls: Tls, stores: Stores) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@hub.example.org", "b@contoh.go.id", "x"
    message.set_content("x")
    with smtp_server(tls) as (inbox, port):
        # a wrong password: a permanent refusal
        with pytest.raises(MailNotSent) as refused:
            await _transport(tls, port, password="salah").send(message)
        assert refused.value.permanent
    with smtp_server(tls, mode="plain") as (inbox, port):
        # ?starttls=true and a server without it: not sent (the password never goes out)
        with pytest.raises(MailNotSent, match="STARTTLS"):
            await _transport(tls, port, query="?starttls=true").send(message)
        # a loopback server without TLS may take the password (a local relay)
        await _transport(tls, port).send(message)
        assert [(r.tls, r.authenticated) for r in inbox.received] == [(False, True)]
    # nobody listening: not sent, worth a retry
    with pytest.raises(MailNotSent) as unreachable:
        await _transport(tls, free_port()).send(message)
    assert not unreachable.value.permanent


async def test_smtps_sends_over_tls_from_the_start(tls: Tls, stores: Stores) -> None:
    with smtp_server(tls, mode="implicit") as (inbox, port):
        endpoint = parse_smtp_url(f"smtps://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}")
        transport = SmtpTransport(endpoint, tls_context=tls.client, timeout=10)
        sari = await _user(stores, "Bu Sari")
        await _notify(stores, sari)
        await _sender(stores, transport).run_once(now=NOW)
        assert [(r.tls, r.authenticated) for r in inbox.received] == [(True, True)]


async def test_without_smtp_url_digests_are_eml_files(
    mongo: LocalService,
    meili: LocalService,
    stores: Stores,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an app without SMTP_URL: it says at start-up where its mails go
    caplog.set_level(logging.INFO, logger="lumbung")
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        data_dir=tmp_path,
        digests=True,
        notifier=False,
        search_indexer=False,
        search_index_prefix="shared",
    )
    async with running_app(settings):
        pass
    assert f"written as .eml files in {tmp_path / 'mail'}" in caplog.text
    # when a digest goes out through that transport
    sari = await _user(stores, "Bu Sari")
    await _notify(stores, sari)
    await _sender(stores, FileTransport(tmp_path / "mail")).run_once(now=NOW)
    # then it is a file that any mail reader parses
    (path,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"].addresses[0].addr_spec == sari.email
    assert "Bu Sari" in _parts(message)[0]


# --- settings ----------------------------------------------------------------------------------


def test_settings_explain_a_bad_smtp_url_without_its_password() -> None:
    for url, words in (
        ("http://user:sangat-rahasia@mail.example.org", "must look like smtp://"),
        ("smtp://user:sangat-rahasia@mail.example.org:port", "numeric port"),
        ("smtp://mail.example.org?tls=1", "?starttls=true"),
        ("smtps://mail.example.org?starttls=true", "TLS from the start"),
    ):
        with pytest.raises(ValidationError, match=words.replace("?", r"\?")) as refused:
            Settings(smtp_url=url)
        assert "sangat-rahasia" not in str(refused.value)
    endpoint = Settings(smtp_url="smtp://no-reply%40hub:p%40ss@mail.example.org").smtp
    assert endpoint == SmtpEndpoint(
        host="mail.example.org",
        port=587,
        implicit_tls=False,
        starttls=None,
        username="no-reply@hub",
        password=SecretStr("p@ss"),
    )
    assert str(endpoint) == "smtp://no-reply@hub@mail.example.org:587"


def test_production_digests_need_smtp_and_a_public_url() -> None:
    production, key = Environment.PRODUCTION, "k" * 40
    with pytest.raises(ValidationError, match="SMTP_URL is unset"):
        Settings(env=production, secret_key=key)
    with pytest.raises(ValidationError, match="LUMBUNG_PUBLIC_URL is unset"):
        Settings(env=production, secret_key=key, smtp_url="smtps://mail.example.org")
    Settings(env=production, secret_key=key, digests=False)
    with pytest.raises(ValidationError, match="LUMBUNG_MAIL_FROM"):
        Settings(mail_from="no-reply")
    with pytest.raises(ValidationError, match="LUMBUNG_PUBLIC_URL must be"):
        Settings(public_url="hub.example.org")
