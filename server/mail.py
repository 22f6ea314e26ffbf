"""Mail transports: SMTP (``SMTP_URL``), or ``.eml`` files in the data folder for development.

Chosen once, in the app's lifespan (``transport_for``), and handed to the digest sender.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import ssl
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

import aiosmtplib

from resolvers.mailer import MailNotSent, MailTransport, MailUncertain
from server.settings import Settings, SmtpEndpoint

SMTP_TIMEOUT = 30.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    sender = parseaddr(str(message["From"]))[1]
    recipients = [address for _, address in getaddresses([str(value) for value in message.get_all("To", [])])]
    if not sender or not recipients:
        raise MailNotSent("the message has no From or no To address", permanent=True)
    return sender, recipients


def _refusal(exc: aiosmtplib.SMTPResponseException, step: str) -> MailNotSent:
    return MailNotSent(f"{step}: the server answered {exc.code} {exc.message}", permanent=exc.code >= 500)


class SmtpTransport:
    """One connection per message: STARTTLS (or implicit TLS), AUTH, MAIL, RCPT, DATA, QUIT.

    Credentials never travel in clear to another host: without TLS they are sent only to a
    loopback server (a local relay, or the tests' server).
    """

    def __init__(
        self,
        endpoint: SmtpEndpoint,
        *,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        self.endpoint = endpoint
        # The system's CAs by default (SSL_CERT_FILE points elsewhere); the tests pass their own.
        self.tls_context = tls_context or ssl.create_default_context()
        self.timeout = timeout

    def __str__(self) -> str:
        return f"SMTP at {self.endpoint}"

    async def send(self, message: EmailMessage) -> None:
        sender, recipients = _envelope(message)
        endpoint = self.endpoint
        smtp = aiosmtplib.SMTP(
            hostname=endpoint.host,
            port=endpoint.port,
            use_tls=endpoint.implicit_tls,
            start_tls=False if endpoint.implicit_tls else endpoint.starttls,
            tls_context=self.tls_context,
            timeout=self.timeout,
        )
        try:
            await self._hand_over(smtp, message, sender, recipients)
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()

    async def _hand_over(
        self, smtp: aiosmtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str]
    ) -> None:
        endpoint = self.endpoint
        step = "connect"
        try:
            await smtp.connect()
            encrypted = smtp.get_transport_info("sslcontext") is not None
            if endpoint.username is not None:
                if not encrypted and not _is_loopback(endpoint.host):
                    raise MailNotSent(
                        f"{endpoint.host} offers no STARTTLS: the password is not sent in clear "
                        "(use smtps:// or a server with STARTTLS)",
                        permanent=True,
                    )
                step = "login"
                password = endpoint.password.get_secret_value() if endpoint.password else ""
                await smtp.login(endpoint.username, password)
            step = "MAIL FROM"
            await smtp.mail(sender)
            step = "RCPT TO"
            for recipient in recipients:
                await smtp.rcpt(recipient)
        except aiosmtplib.SMTPResponseException as exc:
            raise _refusal(exc, step) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # unreachable, TLS failure, no AUTH...
            raise MailNotSent(f"{step}: {exc}") from exc
        try:
            await smtp.data(message.as_bytes(policy=policy.SMTP))
        except aiosmtplib.SMTPResponseException as exc:  # refused with a reply: not accepted
            raise _refusal(exc, "DATA") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailUncertain(
                f"DATA: the connection broke ({exc}); the server may have the message"
            ) from exc


class FileTransport:
    """Development without SMTP_URL: each message an ``.eml`` file, to open in any mail program."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __str__(self) -> str:
        return f".eml files in {self.directory}"

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        moment = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = _UNSAFE.sub("-", str(message.get("Message-ID", "message")).strip("<>"))[:120]
        path = self.directory / f"{moment}-{name}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes(policy=policy.SMTP))
        os.replace(partial, path)  # a reader never sees half a message

    async def send(self, message: EmailMessage) -> None:
        _envelope(message)
        try:
            await asyncio.to_thread(self._write, message)
        except OSError as exc:
            raise MailNotSent(f"could not write the message: {exc}") from exc


def transport_for(settings: Settings) -> MailTransport:
    """SMTP when ``SMTP_URL`` is set; else (development and tests only) the mail folder."""
    if (endpoint := settings.smtp) is not None:
        return SmtpTransport(endpoint)
    return FileTransport(settings.data_dir / "mail")
