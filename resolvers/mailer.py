"""What the digest sender needs of a mail transport; the transports live in ``server/mail.py``.

A transport reports how a send failed, because the rule "never twice" depends on it:

- ``MailNotSent``: the message was certainly not accepted (the server was unreachable, or it
  refused the sender, a recipient or the message). Trying again later cannot deliver it twice.
  ``permanent`` when the server said so (a 5xx reply): trying again is pointless.
- ``MailUncertain``: the connection broke after the message was handed over, so the server may
  have accepted it. The digest sender never tries such a message again.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class MailError(Exception):
    """A message that could not be sent (see the subclasses)."""


class MailNotSent(MailError):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailUncertain(MailError):
    pass


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its ``To`` addresses, from its ``From`` address."""
        ...

    def __str__(self) -> str:
        """Where messages go, for the start-up log (no secret in it)."""
        ...
