"""Field permissions: the schema's one place per type for data only some viewers may see.

Each class asks ``resolvers/visibility.py``; a refused field resolves to null (a list to an
empty list) without an error (``fail_silently``), so one hidden phone number does not fail a
whole page.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from resolvers import visibility
from resolvers.context import Context


class SignedIn(BasePermission):
    message = "Personal data is shown to signed-in users only."

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return visibility.can_see_personal_data(info.context.viewer)


class OwnerOrReviewer(BasePermission):
    """The item's own organization and the reviewers (``source`` has ``organization_id``)."""

    message = "Only the item's organization and the reviewers read its audit trail."

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return visibility.can_read_audit_trail(info.context.viewer, source.organization_id)


class OwnOrganizationOrReviewer(BasePermission):
    """The organization's own users and the reviewers (``source`` is an Organization)."""

    message = "Only the organization's users and the reviewers see its exchanges."

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return visibility.can_list_exchanges_of(info.context.viewer, source.local_id)


class SelfOrAdmin(BasePermission):
    """The user, the admins of the user's organization and the hub's admins."""

    message = "Only the user and the user's admins see the email."

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return visibility.can_see_email_of(
            info.context.viewer, user_id=source.local_id, organization_id=source.organization_id
        )


def hidden_unless(permission: BasePermission) -> list[FieldExtension]:
    """Field extensions that resolve the field to null for viewers ``permission`` refuses."""
    return [PermissionExtension(permissions=[permission], fail_silently=True)]
