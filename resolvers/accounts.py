"""Accounts: sign-in, tokens, invitations, password changes and removing users.

Failed sign-ins are counted per account and per client address; past either limit, sign-in
answers TOO_MANY_ATTEMPTS until the window passes. Whether an email exists is never revealed:
an unknown email costs one argon2 verification like a known one and gets the same error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from resolvers.auth import AuthConfig, Token, new_secret, parse_token, same_hash
from resolvers.content import WriteResult, page_of
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError, Forbidden, Unauthenticated, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id_of
from resolvers.permissions import Action, authorize
from resolvers.viewer import Viewer
from storage.accounts import EmailTaken, InvitationUnusable, SignedIn, normalize_email
from storage.database import Stores
from storage.demo import demo_organization_ids, read_demo_file
from storage.filters import OrganizationFilter, UserFilter
from storage.pagination import Page, SortOrder
from storage.records import InvitationRecord, UserRecord
from storage.store import utc_now
from storage.vocabulary import GOVERNMENTS, OrganizationKind, Role

MIN_PASSWORD_LENGTH = 10
# argon2 hashes any length, but a megabyte password would be a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
ACCESS, REFRESH, INVITATION = "access", "refresh", "invitation"


@dataclass(frozen=True, slots=True)
class IssuedSession:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: UserRecord


@dataclass(frozen=True, slots=True)
class SessionResult:
    session: IssuedSession | None = None
    errors: list[FieldError] | None = None


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation: InvitationRecord
    token: str


@dataclass(frozen=True, slots=True)
class InvitationResult:
    issued: IssuedInvitation | None = None
    errors: list[FieldError] | None = None


def _error(field: str | None, code: ErrorCode, message: str) -> list[FieldError]:
    return [FieldError(field, code, message)]


def check_password(password: str, *, field: str = "password", email: str = "") -> list[FieldError]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _error(field, ErrorCode.WEAK_PASSWORD, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return _error(field, ErrorCode.TOO_LONG, f"At most {MAX_PASSWORD_LENGTH} characters.")
    if email and password.strip().casefold() == normalize_email(email):
        return _error(field, ErrorCode.WEAK_PASSWORD, "The password must not be the email address.")
    return []


def check_email(email: str) -> list[FieldError]:
    if len(email) > 254 or not _EMAIL.match(email.strip()):
        return _error("email", ErrorCode.INVALID, "This is not an email address.")
    return []


def check_name(name: str) -> list[FieldError]:
    if not name.strip():
        return _error("name", ErrorCode.REQUIRED, "This field is required.")
    if len(name) > MAX_NAME_LENGTH:
        return _error("name", ErrorCode.TOO_LONG, f"At most {MAX_NAME_LENGTH} characters or items.")
    return []


# --- who is asking -----------------------------------------------------------------------------


async def viewer_of(stores: Stores, auth: AuthConfig, token_text: str) -> Viewer:
    """The viewer a bearer token stands for; Unauthenticated for any token that is not live."""
    viewer, _ = await signed_in_by(stores, auth, token_text)
    return viewer


async def signed_in_by(stores: Stores, auth: AuthConfig, token_text: str) -> tuple[Viewer, datetime]:
    """The viewer a bearer token stands for, and when the token expires; as ``viewer_of``."""
    token = parse_token(token_text)
    if token is None:
        raise Unauthenticated("The bearer token is malformed.")
    found = await stores.sessions.signed_in(token.record_id)
    if (
        found is None
        or found.session.revoked_at is not None
        or found.session.access_expires_at <= utc_now()
        or not same_hash(auth.token_hash(ACCESS, token.secret), found.session.access_hash)
    ):
        raise Unauthenticated("The bearer token is expired, revoked or unknown; sign in again.")
    viewer = _viewer_of_session(found)
    if viewer is None:
        raise Unauthenticated("The account of this token no longer exists.")
    return viewer, found.session.access_expires_at


def _viewer_of_session(found: SignedIn) -> Viewer | None:
    session, user, organization = found.session, found.user, found.organization
    if user is None:
        return None
    return Viewer(
        user_id=user.id,
        name=user.name,
        role=user.role,
        organization_id=user.organization_id,
        of_association=organization is not None and organization.kind is OrganizationKind.ASSOCIATION,
        session_id=session.id,
    )


async def still_signed_in(stores: Stores, viewer: Viewer, expires_at: datetime | None) -> bool:
    """Whether a long-lived connection signed in as ``viewer`` until ``expires_at`` still is.

    Its token has not expired, its session is not revoked (sign-out, password change, account
    removed) and the account is as it was (same role, same organization); an anonymous viewer
    always is. A session refreshed since keeps it signed in until the token it gave expires.
    """
    if viewer.session_id is None:
        return True
    if expires_at is None or expires_at <= utc_now():
        return False
    found = await stores.sessions.signed_in(viewer.session_id)
    if found is None or found.session.revoked_at is not None or found.session.access_expires_at <= utc_now():
        return False
    return _viewer_of_session(found) == viewer


# --- sessions ----------------------------------------------------------------------------------


async def issue_session(stores: Stores, auth: AuthConfig, user: UserRecord) -> IssuedSession:
    access, refresh = new_secret(), new_secret()
    session = await stores.sessions.create(
        user_id=user.id,
        access_hash=auth.token_hash(ACCESS, access),
        refresh_hash=auth.token_hash(REFRESH, refresh),
        access_ttl=auth.access_ttl,
        refresh_ttl=auth.refresh_ttl,
    )
    return IssuedSession(
        access_token=str(Token(session.id, access)),
        access_expires_at=session.access_expires_at,
        refresh_token=str(Token(session.id, refresh)),
        refresh_expires_at=session.refresh_expires_at,
        user=user,
    )


def _too_many(auth: AuthConfig) -> SessionResult:
    minutes = int(auth.failure_window.total_seconds() // 60)
    message = f"Too many failed sign-ins; try again in {minutes} minutes."
    return SessionResult(errors=_error(None, ErrorCode.TOO_MANY_ATTEMPTS, message))


async def sign_in(context: Context, *, email: str, password: str) -> SessionResult:
    auth, failures = context.auth, context.stores.sign_in_failures
    account_key, address_key = f"account:{normalize_email(email)}", f"address:{context.client_address}"
    if (
        await failures.failures(account_key, window=auth.failure_window) >= auth.max_failures_per_account
        or await failures.failures(address_key, window=auth.failure_window) >= auth.max_failures_per_address
    ):
        context.on_sign_in_failure("throttled")
        return _too_many(auth)
    user = await context.stores.users.find_by_email(email) if len(email) <= 254 else None
    candidate = password[:MAX_PASSWORD_LENGTH]
    if not await auth.verify_password(user.password_hash if user else None, candidate) or user is None:
        await failures.record_failure(account_key, window=auth.failure_window)
        await failures.record_failure(address_key, window=auth.failure_window)
        context.on_sign_in_failure("invalid_credentials")
        return SessionResult(
            errors=_error(None, ErrorCode.INVALID_CREDENTIALS, "The email or the password is wrong.")
        )
    await failures.clear(account_key)
    if auth.hasher.check_needs_rehash(user.password_hash):
        await context.stores.users.set_password(id=user.id, password_hash=await auth.hash_password(candidate))
    return SessionResult(session=await issue_session(context.stores, auth, user))


async def refresh(context: Context, *, refresh_token: str) -> SessionResult:
    """New tokens for a refresh token; the old pair stops working (rotation)."""
    invalid = SessionResult(
        errors=_error(
            "refreshToken", ErrorCode.INVALID_TOKEN, "This refresh token is expired, revoked or unknown."
        )
    )
    token = parse_token(refresh_token)
    if token is None:
        return invalid
    auth = context.auth
    access = new_secret()
    refresh_secret = new_secret()
    session = await context.stores.sessions.rotate(
        session_id=token.record_id,
        refresh_hash=auth.token_hash(REFRESH, token.secret),
        new_access_hash=auth.token_hash(ACCESS, access),
        new_refresh_hash=auth.token_hash(REFRESH, refresh_secret),
        access_ttl=auth.access_ttl,
        refresh_ttl=auth.refresh_ttl,
    )
    if session is None:
        return invalid
    (user,) = await context.stores.users.get_many([session.user_id])
    if user is None:
        await context.stores.sessions.revoke(session.id)
        return invalid
    return SessionResult(
        session=IssuedSession(
            access_token=str(Token(session.id, access)),
            access_expires_at=session.access_expires_at,
            refresh_token=str(Token(session.id, refresh_secret)),
            refresh_expires_at=session.refresh_expires_at,
            user=user,
        )
    )


async def sign_out(context: Context) -> list[FieldError]:
    if context.viewer.session_id is None:
        return _error(None, ErrorCode.UNAUTHENTICATED, "Nobody is signed in with this request.")
    await context.stores.sessions.revoke(context.viewer.session_id)
    return []


async def change_password(
    context: Context, *, current_password: str, new_password: str
) -> WriteResult[UserRecord]:
    """A new password; every other session of the user is signed out."""
    viewer = context.viewer
    if viewer.user_id is None:
        return WriteResult(errors=_error(None, ErrorCode.UNAUTHENTICATED, "Sign in to change your password."))
    (user,) = await context.stores.users.get_many([viewer.user_id])
    if user is None:
        return WriteResult(errors=_error(None, ErrorCode.UNAUTHENTICATED, "Sign in to change your password."))
    if not await context.auth.verify_password(user.password_hash, current_password[:MAX_PASSWORD_LENGTH]):
        return WriteResult(
            errors=_error("currentPassword", ErrorCode.INVALID_CREDENTIALS, "The current password is wrong.")
        )
    if errors := check_password(new_password, field="newPassword", email=user.email):
        return WriteResult(errors=errors)
    await context.stores.users.set_password(
        id=user.id, password_hash=await context.auth.hash_password(new_password)
    )
    await context.stores.sessions.revoke_all(user.id, keep=viewer.session_id)
    (updated,) = await context.stores.users.get_many([user.id])
    return WriteResult(record=updated)


# --- users -------------------------------------------------------------------------------------


async def create_user(
    stores: Stores,
    auth: AuthConfig,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    organization_id: str,
    session: AsyncClientSession | None = None,
) -> UserRecord:
    """A user with a hashed password (the command line's create-admin, demo users, invitations)."""
    fields: dict[str, Any] = {
        "email": normalize_email(email),
        "name": name.strip(),
        "role": role.value,
        "organization_id": organization_id,
        "password_hash": await auth.hash_password(password),
    }
    return await stores.users.create(fields, session=session)


def _organization_id(global_id: str) -> str | None:
    try:
        return decode_id_of("Organization", global_id)
    except InvalidGlobalId:
        return None


@dataclass(frozen=True, slots=True)
class UsersPage:
    page: Page[UserRecord]
    count: Callable[[], Awaitable[int]]


async def users_of_organization(
    context: Context, organization_id: str, *, first: int, after: str | None
) -> UsersPage:
    """The users of an organization (a global ID) by name, for its own users and the reviewers."""
    try:
        local_id = decode_id_of("Organization", organization_id)
    except InvalidGlobalId as exc:
        raise UserInputError(f"`organizationId` is invalid: {exc}.", argument="organizationId") from exc
    viewer = context.viewer
    if not (viewer.is_reviewer or viewer.belongs_to(local_id)):
        raise Forbidden("Only the organization's users and the reviewers list its users.")
    users = context.stores.users
    members = UserFilter(organization_id=local_id)
    page = await page_of(users, filter=members, order=SortOrder.TITLE, first=first, after=after)
    return UsersPage(page, lambda: users.count(filter=members))


def _role_misfit(role: Role, kind: OrganizationKind) -> str | None:
    """Why ``role`` does not fit an organization of ``kind``, or None when it does."""
    if role is Role.MEMBER and kind not in GOVERNMENTS:
        return "Members are government staff; invite the staff of other organizations as partners."
    if role is Role.PARTNER and (kind in GOVERNMENTS or kind is OrganizationKind.ASSOCIATION):
        return "Partners are NGO, academic, private or community staff; invite government staff as members."
    if role is Role.REVIEWER and kind is not OrganizationKind.ASSOCIATION:
        return "Reviewers belong to the association."
    return None


async def invite(context: Context, *, email: str, organization_id: str, role: Role) -> InvitationResult:
    """A one-time, expiring invitation for ``email`` to join an organization with ``role``."""
    if errors := check_email(email):
        return InvitationResult(errors=errors)
    local_id = _organization_id(organization_id)
    if local_id is None:
        return InvitationResult(
            errors=_error("organizationId", ErrorCode.INVALID_ID, "This is not an organization ID.")
        )
    if errors := authorize(context.viewer, Action.INVITE, "User", owner_id=local_id, role=role):
        return InvitationResult(errors=errors)
    (organization,) = await context.stores.organizations.get_many([local_id])
    if organization is None:
        return InvitationResult(
            errors=_error("organizationId", ErrorCode.UNKNOWN_ORGANIZATION, "No organization has this ID.")
        )
    if (reason := _role_misfit(role, organization.kind)) is not None:
        return InvitationResult(errors=_error("role", ErrorCode.INVALID, reason))
    if await context.stores.users.find_by_email(email) is not None:
        return InvitationResult(
            errors=_error("email", ErrorCode.DUPLICATE, "Someone already signs in with this email.")
        )
    secret = new_secret()
    invitation = await context.stores.invitations.create(
        email=email,
        organization_id=local_id,
        role=role.value,
        token_hash=context.auth.token_hash(INVITATION, secret),
        ttl=context.auth.invitation_ttl,
        invited_by=context.viewer.user_id or "",
    )
    return InvitationResult(issued=IssuedInvitation(invitation, str(Token(invitation.id, secret))))


async def accept_invitation(context: Context, *, token: str, name: str, password: str) -> SessionResult:
    """The invited person's account, signed in; the invitation cannot be used again."""
    invalid = SessionResult(
        errors=_error("token", ErrorCode.INVALID_TOKEN, "This invitation is expired, used or unknown.")
    )
    parsed = parse_token(token)
    if parsed is None:
        return invalid
    invitation = await context.stores.invitations.get(parsed.record_id)
    token_hash = context.auth.token_hash(INVITATION, parsed.secret)
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utc_now()
        or not same_hash(token_hash, invitation.token_hash)
    ):  # checked again, atomically, when it is claimed below
        return invalid
    if errors := [*check_name(name), *check_password(password, email=invitation.email)]:
        return SessionResult(errors=errors)
    stores, auth = context.stores, context.auth
    password_hash = await auth.hash_password(password)

    async def accept(session: AsyncClientSession) -> UserRecord:
        user = await stores.users.create(
            {
                "email": invitation.email,
                "name": name.strip(),
                "role": invitation.role.value,
                "organization_id": invitation.organization_id,
                "password_hash": password_hash,
            },
            session=session,
        )
        await stores.invitations.claim(
            invitation_id=invitation.id,
            token_hash=token_hash,
            user_id=user.id,
            session=session,
        )
        return user

    try:
        async with stores.database.client.start_session() as session:
            user = await session.with_transaction(accept)
    except InvitationUnusable:
        return invalid
    except EmailTaken:
        return SessionResult(
            errors=_error("token", ErrorCode.DUPLICATE, "Someone already signs in with this email.")
        )
    return SessionResult(session=await issue_session(stores, auth, user))


async def remove_user(context: Context, *, user_id: str) -> WriteResult[UserRecord]:
    """Delete a user and sign out all of the user's sessions; the audit trail keeps the name."""
    try:
        local_id = decode_id_of("User", user_id)
    except InvalidGlobalId as exc:
        return WriteResult(errors=_error("id", ErrorCode.INVALID_ID, str(exc)))
    if not context.viewer.is_authenticated:
        return WriteResult(errors=authorize(context.viewer, Action.REMOVE_USER, "User", owner_id=""))
    (user,) = await context.stores.users.get_many([local_id])
    if user is None:
        return WriteResult(errors=_error("id", ErrorCode.NOT_FOUND, "No User has this ID."))
    if errors := authorize(
        context.viewer, Action.REMOVE_USER, "User", owner_id=user.organization_id, role=user.role
    ):
        return WriteResult(errors=errors)
    if user.id == context.viewer.user_id:
        return WriteResult(errors=_error("id", ErrorCode.FORBIDDEN, "You cannot remove your own account."))
    await context.stores.users.remove(user.id)
    await context.stores.sessions.revoke_all(user.id)
    return WriteResult(record=user)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    organization: str


async def seed_demo_accounts(stores: Stores, auth: AuthConfig) -> list[DemoAccount]:
    """One demo user per role (development only); creates those missing, returns them all."""
    accounts = [
        DemoAccount(item["email"], item["password"], Role[item["role"]], item["organization"])
        for item in read_demo_file("users")
    ]
    names = {item["email"]: item["name"] for item in read_demo_file("users")}
    organization_ids = await demo_organization_ids(stores, [account.organization for account in accounts])
    for account in accounts:
        organization_id = organization_ids.get(account.organization)
        if organization_id is None or await stores.users.find_by_email(account.email) is not None:
            continue
        await create_user(
            stores,
            auth,
            email=account.email,
            name=names[account.email],
            password=account.password,
            role=account.role,
            organization_id=organization_id,
        )
    return accounts


ASSOCIATION_NAME = "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia"


async def create_admin(
    stores: Stores, auth: AuthConfig, *, email: str, name: str, password: str
) -> UserRecord | list[FieldError]:
    """A hub admin: an admin of the association's organization (created when there is none)."""
    if errors := [*check_email(email), *check_name(name), *check_password(password, email=email)]:
        return errors
    if await stores.users.find_by_email(email) is not None:
        return _error("email", ErrorCode.DUPLICATE, "Someone already signs in with this email.")
    association = await stores.organizations.find_all(
        filter=OrganizationFilter(kinds=[OrganizationKind.ASSOCIATION])
    )
    if association:
        organization = min(association, key=lambda record: record.created_at)
    else:
        organization = await stores.organizations.insert(
            {"name": ASSOCIATION_NAME, "kind": OrganizationKind.ASSOCIATION.value, "verified": True}
        )
    return await create_user(
        stores,
        auth,
        email=email,
        name=name,
        password=password,
        role=Role.ADMIN,
        organization_id=organization.id,
    )
