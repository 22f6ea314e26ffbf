"""Who reads what: the one place that decides, for every read path, what a viewer may see.

- Published content: everyone.
- Drafts, submitted items, items sent back for changes, archived items: their own organization
  and the reviewers (the hub's admins count as reviewers).
- Contact persons' email and phone (personal data under UU PDP): signed-in users only.
- An item's audit trail: its organization and the reviewers.
- A user's email: the user, the admins of the user's organization and the hub's admins.
- Events: everyone once out of draft; drafts their organizers and the reviewers. A registration
  (who takes part): the participant and the event's organizers; certificates are checked by code.
- Discussions: a thread and its replies wherever its item is readable. A deleted post's text:
  nobody (the audit trail keeps it for moderators); a hidden post's text and the reason: its
  author and the moderators (the reviewers). A post's audit trail: its author and moderators.
- A peer exchange: the users of its two organizations and the reviewers; an organization's
  incoming and outgoing exchanges, its own users and the reviewers. How many exchanges a
  practice completed and their mean rating: everyone.

Single reads go through the DataLoaders (``Loaders.for_request`` filters with ``can_read``),
lists through ``readers`` (an indexed field of every item), search through ``search_audience``.
"""

from __future__ import annotations

from collections.abc import Sequence

from resolvers.viewer import Viewer
from search.filters import Audience
from storage.database import PUBLIC
from storage.discussions import Post
from storage.events import EventRecord, RegistrationRecord
from storage.records import ContentRecord, ExchangeRecord
from storage.vocabulary import ContentStatus, EventStatus, Role


def can_read(viewer: Viewer, record: ContentRecord) -> bool:
    return (
        record.status is ContentStatus.PUBLISHED
        or viewer.is_reviewer
        or viewer.belongs_to(record.organization_id)
    )


def readers(viewer: Viewer) -> Sequence[str] | None:
    """The reader entries a list query must match for this viewer; None when it reads everything."""
    if viewer.is_reviewer:
        return None
    if viewer.organization_id is not None:
        return (PUBLIC, viewer.organization_id)
    return (PUBLIC,)


def search_audience(viewer: Viewer) -> Audience:
    if viewer.is_reviewer:
        return Audience(everything=True)
    return Audience(organization_id=viewer.organization_id)


def can_see_personal_data(viewer: Viewer) -> bool:
    return viewer.is_authenticated


def can_read_audit_trail(viewer: Viewer, organization_id: str) -> bool:
    return viewer.is_reviewer or viewer.belongs_to(organization_id)


def can_see_email_of(viewer: Viewer, *, user_id: str, organization_id: str) -> bool:
    return (
        viewer.user_id == user_id
        or viewer.is_hub_admin
        or (viewer.role is Role.ADMIN and viewer.belongs_to(organization_id))
    )


def can_read_user(viewer: Viewer) -> bool:
    """Users' names and roles are for signed-in users (colleagues, reviewers), not the public."""
    return viewer.is_authenticated


def can_read_post_text(viewer: Viewer, post: Post) -> bool:
    if post.deleted_at is not None:
        return False
    return post.moderation is None or viewer.is_reviewer or post.author_id == viewer.user_id


def can_read_post_moderation(viewer: Viewer, post: Post) -> bool:
    return viewer.is_reviewer or (viewer.user_id is not None and post.author_id == viewer.user_id)


def can_read_event(viewer: Viewer, record: EventRecord) -> bool:
    return (
        record.status is not EventStatus.DRAFT
        or viewer.is_reviewer
        or any(viewer.belongs_to(organizer) for organizer in record.organizers)
    )


def event_readers(viewer: Viewer) -> Sequence[str] | None:
    """The reader entries an event listing must match (organizers are readers of their drafts)."""
    return readers(viewer)


def can_read_registration(viewer: Viewer, registration: RegistrationRecord, event: EventRecord) -> bool:
    return (
        viewer.user_id == registration.user_id
        or viewer.is_reviewer
        or any(viewer.belongs_to(organizer) for organizer in event.organizers)
    )


def can_read_exchange(viewer: Viewer, record: ExchangeRecord) -> bool:
    return (
        viewer.is_reviewer
        or viewer.belongs_to(record.requester_organization_id)
        or viewer.belongs_to(record.owner_organization_id)
    )


def can_list_exchanges_of(viewer: Viewer, organization_id: str) -> bool:
    return viewer.is_reviewer or viewer.belongs_to(organization_id)
