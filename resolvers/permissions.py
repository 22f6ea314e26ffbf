"""Who may write what: the one place every mutation asks before it touches anything.

Roles are scoped to the user's organization:

- **member** (government staff) writes practices and replications of its organization;
- **partner** (NGO, academic, private staff) writes case studies and proposes partnerships;
- **reviewer** (the association) edits, sends back, publishes, archives and verifies anything;
- **admin** manages its organization and its users, and writes its content like a member or a
  partner. The admins of the association's own organization run the whole hub: organizations,
  users of every organization, and everything a reviewer does.

Owners edit and delete their items while they are drafts or sent back for changes; published
items change through reviewers (or are archived by their owner). Reading is decided in
``resolvers/visibility.py``.

A **peer exchange** has two sides. The requesting side is the members and admins of a
government organization, which asks for itself; the owning side is every member, partner and
admin of the organization that owned the practice or partnership when it was asked. Each step
belongs to one side (cancelling to either); reviewers read exchanges but take no side, and the
hub's admins may act for both.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from resolvers.errors import ErrorCode, FieldError
from resolvers.viewer import Viewer
from storage.discussions import Post, ThreadRecord
from storage.store import utc_now
from storage.vocabulary import GOVERNMENTS, ContentStatus, OrganizationKind, Role


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    SUBMIT = "submit"
    REQUEST_CHANGES = "request changes to"
    PUBLISH = "publish"
    ARCHIVE = "archive"
    VERIFY = "verify"
    INVITE = "invite users to"
    REMOVE_USER = "remove users of"
    REQUEST_EXCHANGE = "request"
    ACCEPT_EXCHANGE = "accept"
    DECLINE_EXCHANGE = "decline"
    SCHEDULE_EXCHANGE = "schedule"
    COMPLETE_EXCHANGE = "complete"
    CANCEL_EXCHANGE = "cancel"
    CONVERT_EXCHANGE = "turn into a replication"


# The roles that author each kind of content for their own organization.
AUTHORS: dict[str, frozenset[Role]] = {
    "Practice": frozenset({Role.MEMBER, Role.ADMIN}),
    "Replication": frozenset({Role.MEMBER, Role.ADMIN}),
    "CaseStudy": frozenset({Role.PARTNER, Role.ADMIN}),
    "Partnership": frozenset({Role.PARTNER, Role.ADMIN}),
}
_EDITABLE_BY_OWNER = frozenset({ContentStatus.DRAFT, ContentStatus.CHANGES_REQUESTED})
_REVIEW = frozenset({Action.UPDATE, Action.REQUEST_CHANGES, Action.PUBLISH, Action.ARCHIVE, Action.VERIFY})


def _allowed_content(
    viewer: Viewer, action: Action, kind: str, owner_id: str, status: ContentStatus | None
) -> bool:
    if viewer.is_reviewer and action in _REVIEW:
        return True
    is_author = viewer.role in AUTHORS[kind] and viewer.belongs_to(owner_id)
    match action:
        case Action.CREATE | Action.SUBMIT | Action.ARCHIVE:
            return is_author
        case Action.UPDATE | Action.DELETE:
            return is_author and status in _EDITABLE_BY_OWNER
        case _:
            return False


def _allowed(
    viewer: Viewer,
    action: Action,
    kind: str,
    owner_id: str,
    status: ContentStatus | None,
    role: Role | None,
) -> bool:
    if viewer.is_hub_admin:
        return True
    if kind in AUTHORS:
        return _allowed_content(viewer, action, kind, owner_id, status)
    is_own_admin = viewer.role is Role.ADMIN and viewer.belongs_to(owner_id)
    if kind == "Organization":
        return action is Action.UPDATE and is_own_admin
    if kind == "User":
        # Reviewers belong to the association: only the hub's admins appoint them.
        return is_own_admin and action in (Action.INVITE, Action.REMOVE_USER) and role is not Role.REVIEWER
    return False


def authorize(
    viewer: Viewer,
    action: Action,
    kind: str,
    *,
    owner_id: str,
    status: ContentStatus | None = None,
    role: Role | None = None,
) -> list[FieldError]:
    """Errors that forbid ``viewer`` to ``action`` a ``kind`` owned by ``owner_id``; empty when allowed.

    ``status`` is the item's current editorial status, ``role`` the role a user gets or has.
    """
    if not viewer.is_authenticated:
        return [FieldError(None, ErrorCode.UNAUTHENTICATED, f"Sign in to {action.value} this {kind}.")]
    if _allowed(viewer, action, kind, owner_id, status, role):
        return []
    if status is not None and action in (Action.UPDATE, Action.DELETE) and status not in _EDITABLE_BY_OWNER:
        reason = f"A {status.label_en.lower()} {kind} can only be changed by a reviewer."
    else:
        reason = f"Your role does not allow you to {action.value} this {kind}."
    return [FieldError(None, ErrorCode.FORBIDDEN, reason)]


# --- discussions and moderation ----------------------------------------------------------------
# Every signed-in user (member, partner, reviewer, admin) may post where they may read; authors
# edit their posts within the edit window and delete them at any time; the asker and the item's
# organization accept an answer; reviewers moderate (edit, delete, hide, restore) anything.


def _signed_in(viewer: Viewer, doing: str) -> list[FieldError]:
    if viewer.is_authenticated:
        return []
    return [FieldError(None, ErrorCode.UNAUTHENTICATED, f"Sign in to {doing}.")]


def _forbidden(reason: str) -> list[FieldError]:
    return [FieldError(None, ErrorCode.FORBIDDEN, reason)]


def authorize_post(viewer: Viewer) -> list[FieldError]:
    return _signed_in(viewer, "take part in discussions")


def is_moderator(viewer: Viewer) -> bool:
    return viewer.is_reviewer


def authorize_post_edit(viewer: Viewer, post: Post, *, window: timedelta) -> list[FieldError]:
    if errors := _signed_in(viewer, "edit posts"):
        return errors
    if is_moderator(viewer):
        return []
    if post.author_id != viewer.user_id:
        return _forbidden("Only its author and the moderators edit a post.")
    if post.moderation is not None:
        return _forbidden("A moderator hid this post; only moderators change it now.")
    if utc_now() - post.created_at > window:
        minutes = int(window.total_seconds() // 60)
        return _forbidden(f"Posts can be edited for {minutes} minutes; after that only moderators do.")
    return []


def authorize_post_delete(viewer: Viewer, post: Post) -> list[FieldError]:
    if errors := _signed_in(viewer, "delete posts"):
        return errors
    if is_moderator(viewer) or post.author_id == viewer.user_id:
        return []
    return _forbidden("Only its author and the moderators delete a post.")


def authorize_accept(viewer: Viewer, thread: ThreadRecord, *, owner_id: str) -> list[FieldError]:
    """The asker, or anyone of the organization that owns the item, picks the accepted answer."""
    if errors := _signed_in(viewer, "accept answers"):
        return errors
    if viewer.is_hub_admin or thread.author_id == viewer.user_id or viewer.belongs_to(owner_id):
        return []
    return _forbidden("Only the asker and the item's organization accept an answer.")


def authorize_report(viewer: Viewer) -> list[FieldError]:
    return _signed_in(viewer, "report posts")


def authorize_moderation(viewer: Viewer) -> list[FieldError]:
    if errors := _signed_in(viewer, "moderate"):
        return errors
    return [] if is_moderator(viewer) else _forbidden("Only reviewers moderate posts.")


# --- events -------------------------------------------------------------------------------------
# Any user of an event's organizing organizations (a government, partner or the association)
# writes it, publishes, cancels, finishes it and keeps its attendance; anyone signed in registers.


def authorize_event(viewer: Viewer, *, organizer_ids: list[str]) -> list[FieldError]:
    if errors := _signed_in(viewer, "organize events"):
        return errors
    if viewer.is_hub_admin or any(viewer.belongs_to(organizer) for organizer in organizer_ids):
        return []
    return _forbidden("Only the event's organizers change it.")


def authorize_registration(viewer: Viewer) -> list[FieldError]:
    return _signed_in(viewer, "register for events")


def authorize_follow(viewer: Viewer) -> list[FieldError]:
    return _signed_in(viewer, "follow themes, regions, organizations and items")


def authorize_notifications(viewer: Viewer) -> list[FieldError]:
    return _signed_in(viewer, "read your notifications")


# --- peer exchanges ------------------------------------------------------------------------------


class Side(Enum):
    REQUESTER = "requesting organization"
    OWNER = "owning organization"


_SIDE_ROLES = {
    Side.REQUESTER: frozenset({Role.MEMBER, Role.ADMIN}),
    Side.OWNER: frozenset({Role.MEMBER, Role.PARTNER, Role.ADMIN}),
}
# The side that takes each step of an exchange.
EXCHANGE_STEPS: dict[Action, frozenset[Side]] = {
    Action.REQUEST_EXCHANGE: frozenset({Side.REQUESTER}),
    Action.ACCEPT_EXCHANGE: frozenset({Side.OWNER}),
    Action.DECLINE_EXCHANGE: frozenset({Side.OWNER}),
    Action.SCHEDULE_EXCHANGE: frozenset({Side.OWNER}),
    Action.COMPLETE_EXCHANGE: frozenset({Side.REQUESTER}),
    Action.CANCEL_EXCHANGE: frozenset({Side.REQUESTER, Side.OWNER}),
    Action.CONVERT_EXCHANGE: frozenset({Side.REQUESTER}),
}


def exchange_sides(viewer: Viewer, *, requester_id: str, owner_id: str) -> frozenset[Side]:
    """The sides of an exchange ``viewer`` acts for: none for reviewers, both for the hub's admins."""
    if viewer.is_hub_admin:
        return frozenset(Side)
    of_side = {Side.REQUESTER: requester_id, Side.OWNER: owner_id}
    return frozenset(
        side
        for side, organization_id in of_side.items()
        if viewer.role in _SIDE_ROLES[side] and viewer.belongs_to(organization_id)
    )


def authorize_exchange(
    viewer: Viewer,
    action: Action,
    *,
    requester_id: str,
    owner_id: str,
    requester_kind: OrganizationKind | None = None,
) -> list[FieldError]:
    """Errors that forbid ``viewer`` to take ``action`` on an exchange; empty when allowed.

    ``requester_kind`` is the kind of the requesting organization: only governments request.
    """
    if not viewer.is_authenticated:
        return [FieldError(None, ErrorCode.UNAUTHENTICATED, f"Sign in to {action.value} an exchange.")]
    sides = EXCHANGE_STEPS[action]
    acting = exchange_sides(viewer, requester_id=requester_id, owner_id=owner_id)
    if action is Action.REQUEST_EXCHANGE and not viewer.is_hub_admin and requester_kind not in GOVERNMENTS:
        acting = frozenset()
    if acting & sides:
        return []
    if action is Action.REQUEST_EXCHANGE:
        reason = (
            "Exchanges are requested by the members and admins of a government, for their own organization."
        )
    else:
        who = " or the ".join(side.value for side in sorted(sides, key=lambda side: side.name, reverse=True))
        reason = f"Only the {who} may {action.value} this exchange."
    return [FieldError(None, ErrorCode.FORBIDDEN, reason)]


# --- indicator reports -------------------------------------------------------------------------
# The owning organization's members and admins report an item's indicators (whatever its
# editorial status: the figures are theirs); the hub's admins may act for them. Reviewers
# check the item, not its monthly figures.


def authorize_indicator_report(viewer: Viewer, *, kind: str, owner_id: str) -> list[FieldError]:
    if errors := _signed_in(viewer, "report indicators"):
        return errors
    if viewer.is_hub_admin or (viewer.role in AUTHORS[kind] and viewer.belongs_to(owner_id)):
        return []
    return _forbidden("Only the item's own organization reports its indicators.")
