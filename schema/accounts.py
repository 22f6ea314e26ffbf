"""Users, sessions and invitations: types, the ``viewer`` query and the account mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers import accounts
from resolvers.context import Context
from resolvers.errors import FieldError
from schema.enums import Role
from schema.node import Node, copy_record
from schema.pagination import DEFAULT_PAGE_SIZE, After, Connection, First
from schema.payload import Error, errors_of
from schema.permissions import SelfOrAdmin, hidden_unless
from schema.regions import Organization, load_organization
from storage import records

if TYPE_CHECKING:
    from schema.discussions import Thread
    from schema.events import EventRegistration
    from schema.follows import Follow
    from schema.notifications import NotificationConnection, NotificationSettingsType


@strawberry.type(description="A person who signs in, with a role in one organization.")
class User(Node):
    name: str
    role: Role
    email: str | None = strawberry.field(
        description="Shown to the user, the admins of the user's organization and the hub's admins.",
        extensions=hidden_unless(SelfOrAdmin()),
    )
    created_at: datetime
    local_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_record(cls, record: records.UserRecord) -> User:
        return copy_record(cls, record, id=cls.global_id(record.id), local_id=record.id)

    @strawberry.field(
        description="The threads this user started, newest activity first; only the user sees them "
        "(empty for anyone else)."
    )
    async def threads(
        self, info: Info[Context, None], first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Annotated[Thread, strawberry.lazy("schema.discussions")]]:
        from schema.discussions import threads_of_user  # threads show their author: a cycle

        if info.context.viewer.user_id != self.local_id:
            return Connection.empty()
        return await threads_of_user(info, self.local_id, first=first, after=after)

    @strawberry.field(
        description="The events this user registered for, newest registration first; only the user "
        "sees them (empty for anyone else)."
    )
    async def event_registrations(
        self, info: Info[Context, None], first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Annotated[EventRegistration, strawberry.lazy("schema.events")]]:
        from schema.events import registrations_of_user  # registrations show their user: a cycle

        if info.context.viewer.user_id != self.local_id:
            return Connection.empty()
        return await registrations_of_user(info, self.local_id, first=first, after=after)

    @strawberry.field(
        description="What this user follows, newest first; only the user sees it (empty for anyone else)."
    )
    async def follows(
        self, info: Info[Context, None], first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Annotated[Follow, strawberry.lazy("schema.follows")]]:
        from schema.follows import follows_of_user  # follows show users' items: a cycle

        if info.context.viewer.user_id != self.local_id:
            return Connection.empty()
        return await follows_of_user(info, self.local_id, first=first, after=after)

    @strawberry.field(
        description="What this user is told of, newest first; only the user sees them (empty for "
        "anyone else)."
    )
    async def notifications(
        self,
        info: Info[Context, None],
        unread_only: bool = False,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Annotated[NotificationConnection, strawberry.lazy("schema.notifications")]:
        from schema.notifications import empty_notifications, notifications_of_user  # a cycle

        if info.context.viewer.user_id != self.local_id:
            return empty_notifications()
        return await notifications_of_user(
            info, self.local_id, unread_only=unread_only, first=first, after=after
        )

    @strawberry.field(description="The user's notification settings; only the user sees them.")
    async def notification_settings(
        self, info: Info[Context, None]
    ) -> Annotated[NotificationSettingsType, strawberry.lazy("schema.notifications")] | None:
        from schema.notifications import settings_of_user  # a cycle

        if info.context.viewer.user_id != self.local_id:
            return None
        return await settings_of_user(info, self.local_id)


async def load_user(info: Info[Context, None], user_id: str | None) -> User | None:
    if user_id is None:
        return None
    record = await info.context.loaders.users.load(user_id)
    return User.from_record(record) if record else None


@strawberry.type(
    description="Signed in: send `Authorization: Bearer <accessToken>` with each request; "
    "before it expires, trade the refresh token for a new pair with `refreshSession`."
)
class Session:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    user: User


@strawberry.type
class SessionPayload:
    session: Session | None
    errors: list[Error]


def _session_payload(result: accounts.SessionResult) -> SessionPayload:
    issued = result.session
    session = (
        Session(
            access_token=issued.access_token,
            access_token_expires_at=issued.access_expires_at,
            refresh_token=issued.refresh_token,
            refresh_token_expires_at=issued.refresh_expires_at,
            user=User.from_record(issued.user),
        )
        if issued
        else None
    )
    return SessionPayload(session=session, errors=errors_of(result.errors))


@strawberry.type
class Invitation:
    email: str
    role: Role
    expires_at: datetime
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None
    token: str | None = strawberry.field(
        description="Pass this one-time token to the invited person: it is shown only here."
    )
    errors: list[Error]


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[Error]


@strawberry.type
class SignOutPayload:
    errors: list[Error]


@strawberry.input
class SignInInput:
    email: str
    password: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class InviteUserInput:
    email: str
    organization_id: strawberry.ID
    role: Role


@strawberry.input
class AcceptInvitationInput:
    token: str
    name: str
    password: str


@strawberry.input
class RemoveUserInput:
    id: strawberry.ID


def _user_payload(record: records.UserRecord | None, errors: list[FieldError] | None) -> UserPayload:
    return UserPayload(user=User.from_record(record) if record else None, errors=errors_of(errors))


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user; null for anonymous requests.")
    async def viewer(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, info.context.viewer.user_id)

    @strawberry.field(
        description="The users of an organization by name, for its own users and the reviewers."
    )
    async def users(
        self,
        info: Info[Context, None],
        organization_id: strawberry.ID,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[User]:
        found = await accounts.users_of_organization(info.context, organization_id, first=first, after=after)
        return Connection.of(found.page, User.from_record, found.count)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Errors: INVALID_CREDENTIALS (whether or not the email exists), TOO_MANY_ATTEMPTS."
    )
    async def sign_in(self, info: Info[Context, None], input: SignInInput) -> SessionPayload:
        return _session_payload(
            await accounts.sign_in(info.context, email=input.email, password=input.password)
        )

    @strawberry.mutation(description="A new token pair; the refresh token given stops working.")
    async def refresh_session(self, info: Info[Context, None], input: RefreshSessionInput) -> SessionPayload:
        return _session_payload(await accounts.refresh(info.context, refresh_token=input.refresh_token))

    @strawberry.mutation(description="Revokes the session of this request's token.")
    async def sign_out(self, info: Info[Context, None]) -> SignOutPayload:
        return SignOutPayload(errors=errors_of(await accounts.sign_out(info.context)))

    @strawberry.mutation(description="Signs out every other session of the user.")
    async def change_password(self, info: Info[Context, None], input: ChangePasswordInput) -> UserPayload:
        result = await accounts.change_password(
            info.context, current_password=input.current_password, new_password=input.new_password
        )
        return _user_payload(result.record, result.errors)

    @strawberry.mutation(
        description="Invite an email into an organization with a role (the hub's admins, or the "
        "organization's admins for roles other than REVIEWER). Returns a one-time token that expires."
    )
    async def invite_user(self, info: Info[Context, None], input: InviteUserInput) -> InvitationPayload:
        result = await accounts.invite(
            info.context, email=input.email, organization_id=input.organization_id, role=input.role
        )
        issued = result.issued
        invitation = copy_record(Invitation, issued.invitation) if issued is not None else None
        return InvitationPayload(
            invitation=invitation, token=issued.token if issued else None, errors=errors_of(result.errors)
        )

    @strawberry.mutation(description="Create the invited account and sign it in.")
    async def accept_invitation(
        self, info: Info[Context, None], input: AcceptInvitationInput
    ) -> SessionPayload:
        return _session_payload(
            await accounts.accept_invitation(
                info.context, token=input.token, name=input.name, password=input.password
            )
        )

    @strawberry.mutation(description="Delete a user and revoke all of the user's sessions.")
    async def remove_user(self, info: Info[Context, None], input: RemoveUserInput) -> UserPayload:
        result = await accounts.remove_user(info.context, user_id=input.id)
        return _user_payload(result.record, result.errors)


__all__ = ["AccountMutation", "AccountQuery", "User", "load_user"]
