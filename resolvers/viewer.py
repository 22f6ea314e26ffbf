"""Who sends a request: anonymous, or a signed-in user with a role in an organization."""

from __future__ import annotations

from dataclasses import dataclass

from storage.vocabulary import Role


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None = None
    name: str | None = None
    role: Role | None = None
    organization_id: str | None = None
    # The user's organization is the association that runs the hub: its admins run everything.
    of_association: bool = False
    # The sign-in session the request's token belongs to (sign-out revokes it).
    session_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_hub_admin(self) -> bool:
        return self.role is Role.ADMIN and self.of_association

    @property
    def is_reviewer(self) -> bool:
        """Reviewers read, verify and publish everything; the hub's admins may do the same."""
        return self.role is Role.REVIEWER or self.is_hub_admin

    def belongs_to(self, organization_id: str | None) -> bool:
        return self.organization_id is not None and self.organization_id == organization_id
