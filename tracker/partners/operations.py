"""Every write to regions, partners, contacts, engagements and follow-ups.

Views, imports, commands and the demo data call these functions and nothing else to
write. Each takes plain, already-typed values and the acting user (`actor`; None for
the system), enforces the rules of the domain as `DomainError(message, field)` (the
field named as in the forms and the import columns' `attr`), records the audit event
and flushes. The caller commits.

Updates take a partial dict of field → value (fields left out keep their stored value)
and the version the edit was made on (`expected_version`, from the form's hidden
field; None from imports and commands skips the check): a stale edit raises
`StaleRecord` and writes nothing.

A contact's events are recorded on the contact with the partner as parent, a
follow-up's on the follow-up with its engagement as parent, so each shows in its
parent's history. A deletion keeps the record's state, so `RESTORERS` can bring it back.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from tracker.auth.models import User
from tracker.auth.services import active_user
from tracker.core import audit, text
from tracker.core.codes import country_names
from tracker.core.errors import DomainError
from tracker.core.models import AuditEvent
from tracker.core.records import (
    check_version,
    delete_record,
    deletion_state,
    flush,
    numbers_free,
    record_create,
    record_update,
)
from tracker.core.types import today
from tracker.core.values import assign, changed, happened, one_of, plain, require, stored
from tracker.extensions import db
from tracker.partners import services
from tracker.partners.models import (
    Contact,
    Engagement,
    EngagementKind,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
    Sector,
)

REGION_FIELDS = ["name", "country_code", "sector_focus", "sector_id", "latitude", "longitude"]
PARTNER_FIELDS = [
    "name",
    "kind",
    "status",
    "country_code",
    "region_id",
    "owner_id",
    "website",
    "cadence_days",
    "next_engagement_on",
    "latitude",
    "longitude",
    "description",
]
CONTACT_FIELDS = ["name", "job_title", "email", "phone", "notes"]
ENGAGEMENT_FIELDS = ["kind", "occurred_on", "subject", "summary", "outcome"]
# Who took part, chosen by id; audited as the `partners` and `attendees` collections.
ENGAGEMENT_PEOPLE = ["partner_ids", "attendee_ids"]
FOLLOW_UP_FIELDS = ["title", "owner_id", "due_on", "done_on"]

CHOOSE_AN_OWNER = "Choose an owner."
# Messages the forms show too (a form's "required" and an operation's refusal read alike).
AT_LEAST_ONE_PARTNER = "Choose at least one partner."
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
BAD_PHONE = "Enter a phone number of digits, spaces and + ( ) - . / only, e.g. +36 96 555 0100."


# --- Checking values ------------------------------------------------------------------------


def _country(values: dict[str, Any], name: str = "country_code") -> None:
    value = values.get(name)
    if value is not None and value not in country_names():
        raise DomainError("Not a valid choice.", name)


def _place(merged: dict[str, Any]) -> None:
    """A place has both its latitude and its longitude, or neither."""
    if (merged.get("latitude") is None) != (merged.get("longitude") is None):
        missing = "longitude" if merged.get("longitude") is None else "latitude"
        raise DomainError(f"Give the {missing} too, or neither.", missing)


# --- Regions ---------------------------------------------------------------------------------


def _region_exists(name: str, country: str) -> DomainError:
    return DomainError(f"A region named {name} already exists in {country}.", "name")


def _unique_region(region: Region):
    """Around the flush: a region of the same name saved at the same moment refuses this
    one as the check before the save does."""
    return text.unique_name(
        region, _region_exists(region.name, region.country_code), "country_code"
    )


def _checked_region(values: dict[str, Any], region: Region | None) -> dict[str, Any]:
    values = plain(values, REGION_FIELDS, Region)
    merged = {**stored(region, REGION_FIELDS), **values}
    require(merged, "name", "country_code")
    _country(merged)
    if values.get("sector_id") is not None and db.session.get(Sector, values["sector_id"]) is None:
        raise DomainError("Choose a sector from the list.", "sector_id")
    _place(merged)
    name, country = merged["name"], merged["country_code"]
    if text.name_taken(Region, name, exclude_id=getattr(region, "id", None), country_code=country):
        raise _region_exists(name, country)
    if region is not None and changed(values, region, "country_code"):
        elsewhere = db.session.scalar(
            select(func.count()).where(
                Partner.region_id == region.id, Partner.country_code != country
            )
        )
        if elsewhere:
            partners = services.counted(elsewhere, "partner")[0]
            raise DomainError(
                f"{partners} in {region.country_code} belong to this region, and a partner's "
                "region must be in its country: move them to another region first.",
                "country_code",
            )
    return values


def create_region(values: dict[str, Any], *, actor: User | None) -> Region:
    """A new region. Its name is unique within its country (in any case)."""
    values = _checked_region(values, None)
    region = Region(**values)
    with _unique_region(region):
        record_create(region, REGION_FIELDS, f"Created region {region.name}", actor=actor)
    return region


def update_region(
    region: Region,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Region:
    """Change a region. Its country changes only while no partner of another country
    is in it."""
    check_version(region, expected_version)
    values = _checked_region(values, region)
    tracked = audit.track(region, REGION_FIELDS)
    assign(region, values)
    with _unique_region(region):
        flush(region)
    record_update(region, tracked, f"Updated region {region.name}", actor=actor)
    return region


# --- Partners --------------------------------------------------------------------------------


def check_region_matches_country(region_id: int | None, country_code: str | None) -> None:
    """A partner's region must exist and lie in the partner's country."""
    if not region_id:
        return
    region = db.session.get(Region, region_id)
    if region is None:
        raise DomainError("Choose a region from the list.", "region_id")
    if region.country_code != country_code:
        raise DomainError(
            f"{region.name} is in {region.country_code}, but the partner's country is "
            f"{country_code}. Choose a region in the same country.",
            "region_id",
        )


def _partner_exists(name: str, country: str) -> DomainError:
    return DomainError(f"A partner named {name} already exists in {country}.", "name")


def _unique_partner(partner: Partner):
    """Around the flush: a partner of the same name saved at the same moment refuses this
    one as the check before the save does."""
    return text.unique_name(
        partner, _partner_exists(partner.name, partner.country_code), "country_code"
    )


def _checked_partner(values: dict[str, Any], partner: Partner | None) -> dict[str, Any]:
    values = plain(values, PARTNER_FIELDS, Partner)
    if partner is None and values.get("status") is None:
        values["status"] = PartnerStatus.ACTIVE.value
    merged = {**stored(partner, PARTNER_FIELDS), **values}
    require(merged, "name", "kind", "status", "country_code")
    one_of(merged, "kind", PartnerKind)
    one_of(merged, "status", PartnerStatus)
    _country(merged)
    _place(merged)
    name, country = merged["name"], merged["country_code"]
    if text.name_taken(
        Partner, name, exclude_id=getattr(partner, "id", None), country_code=country
    ):
        raise _partner_exists(name, country)
    check_region_matches_country(merged.get("region_id"), country)
    if changed(values, partner, "owner_id"):
        active_user(values["owner_id"], "owner_id")
    return values


def create_partner(values: dict[str, Any], *, actor: User | None) -> Partner:
    """A new partner (status Active unless given). Name and country are its natural key:
    unique, the name in any case. Its region must be in its country; its relationship
    owner an active user."""
    values = _checked_partner(values, None)
    partner = Partner(**values)
    with _unique_partner(partner):
        record_create(partner, PARTNER_FIELDS, f"Created partner {partner.name}", actor=actor)
    return partner


def update_partner(
    partner: Partner,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Partner:
    """Change a partner; the rules of `create_partner` hold for the values it ends with."""
    check_version(partner, expected_version)
    values = _checked_partner(values, partner)
    tracked = audit.track(partner, PARTNER_FIELDS)
    assign(partner, values)
    with _unique_partner(partner):
        flush(partner)
    record_update(partner, tracked, f"Updated partner {partner.name}", actor=actor)
    return partner


def archive_partner(
    partner: Partner, *, actor: User | None, expected_version: int | None = None
) -> Partner:
    """Take a partner out of the lists, keeping its history; editing its status brings it
    back. Archiving an archived partner changes nothing."""
    check_version(partner, expected_version)
    if partner.status == PartnerStatus.ARCHIVED:
        return partner
    tracked = audit.track(partner, ["status"])
    partner.status = PartnerStatus.ARCHIVED.value
    flush(partner)
    audit.record(
        "archive", partner, f"Archived partner {partner.name}", tracked.changes(), actor=actor
    )
    return partner


def delete_partner(partner: Partner, *, actor: User | None) -> None:
    """Delete a partner and its contacts. Refused while anything hangs on it
    (`services.what_blocks_deletion`: engagements, and what other domains register)."""
    blockers = services.what_blocks_deletion(partner)
    if blockers:
        raise DomainError(
            f"{partner.name} cannot be deleted: {', '.join(blockers)} hang on it. "
            "Archive it instead."
        )
    delete_record(
        partner,
        f"Deleted partner {partner.name}",
        actor=actor,
        children={"contacts": list(partner.contacts)},
    )


def restore_partner(event: AuditEvent, *, actor: User | None) -> Partner:
    """Re-create a deleted partner with its contacts (same ids), if today's rules allow:
    its name still free in its country, its region still in that country, its owner
    still active."""
    state = deletion_state(event, "partner")
    partner = audit.rebuild(Partner, state)
    numbers_free([partner])
    _checked_partner(stored(partner, PARTNER_FIELDS), None)
    db.session.add(partner)
    with _unique_partner(partner):
        db.session.flush()
    contacts = [
        audit.rebuild(Contact, child) for child in state.get("children", {}).get("contacts", [])
    ]
    for contact in contacts:
        numbers_free([contact])
        _checked_contact(stored(contact, CONTACT_FIELDS), None)
        contact.partner_id = partner.id
        db.session.add(contact)
    db.session.flush()
    changes = audit.track(partner, PARTNER_FIELDS).created()
    with_contacts = f" with {services.counted(len(contacts), 'contact')[0]}" if contacts else ""
    audit.record(
        "restore",
        partner,
        f"Restored partner {partner.name}{with_contacts}",
        changes,
        actor=actor,
    )
    return partner


# --- Contacts --------------------------------------------------------------------------------


def _checked_contact(values: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    values = plain(values, CONTACT_FIELDS, Contact)
    merged = {**stored(contact, CONTACT_FIELDS), **values}
    require(merged, "name")
    if merged.get("phone") and not PHONE_RE.match(merged["phone"]):
        raise DomainError(BAD_PHONE, "phone")
    return values


def create_contact(partner: Partner, values: dict[str, Any], *, actor: User | None) -> Contact:
    """A new person at `partner`. A phone number holds digits, spaces and + ( ) - . / only."""
    values = _checked_contact(values, None)
    contact = Contact(partner=partner, **values)
    record_create(
        contact,
        CONTACT_FIELDS,
        f"Added contact {services.contact_summary(contact)}",
        actor=actor,
        parent=partner,
    )
    return contact


def update_contact(
    contact: Contact,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Contact:
    check_version(contact, expected_version)
    values = _checked_contact(values, contact)
    tracked = audit.track(contact, CONTACT_FIELDS)
    assign(contact, values)
    flush(contact)
    record_update(
        contact, tracked, f"Edited contact {contact.name}", actor=actor, parent=contact.partner
    )
    return contact


def delete_contact(contact: Contact, *, actor: User | None) -> None:
    delete_record(
        contact,
        f"Removed contact {services.contact_summary(contact)}",
        actor=actor,
        parent=contact.partner,
        collection="contacts",
    )


def restore_contact(event: AuditEvent, *, actor: User | None) -> Contact:
    """Re-create a removed contact (same id) at its partner, which must still exist."""
    state = deletion_state(event, "contact")
    contact = audit.rebuild(Contact, state)
    partner = db.session.get(Partner, contact.partner_id)
    if partner is None:
        raise DomainError(f"{contact.name}'s partner has been deleted: restore the partner first.")
    numbers_free([contact])
    _checked_contact(stored(contact, CONTACT_FIELDS), None)
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "restore",
        contact,
        f"Restored contact {services.contact_summary(contact)}",
        audit.track(contact, CONTACT_FIELDS).created(),
        actor=actor,
        parent=partner,
    )
    return contact


# --- Engagements -----------------------------------------------------------------------------

ENGAGEMENT_TRACKED = [*ENGAGEMENT_FIELDS, "partners", "attendees"]


def _by_ids(model: type, ids: Iterable[int], field: str, noun: str) -> list:
    wanted = {int(i) for i in ids}
    found = list(db.session.scalars(select(model).where(model.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise DomainError(f"One of the chosen {noun} does not exist.", field)
    return found


def _check_engagement_fields(merged: dict[str, Any]) -> None:
    require(merged, "kind", "occurred_on", "subject")
    one_of(merged, "kind", EngagementKind)


def _checked_engagement(values: dict[str, Any], engagement: Engagement | None):
    """The engagement's own values, and its partners and attendees when they are given."""
    values = plain(values, [*ENGAGEMENT_FIELDS, *ENGAGEMENT_PEOPLE], Engagement)
    partner_ids = values.pop("partner_ids", None)
    attendee_ids = values.pop("attendee_ids", None)
    merged = {**stored(engagement, ENGAGEMENT_FIELDS), **values}
    _check_engagement_fields(merged)
    happened(values, engagement, "occurred_on", "An engagement", "Plan one as a follow-up.")
    partners = attendees = None
    if engagement is None or partner_ids is not None:
        partners = _by_ids(Partner, partner_ids or [], "partner_ids", "partners")
        if not partners:
            raise DomainError(AT_LEAST_ONE_PARTNER, "partner_ids")
    if engagement is None or attendee_ids is not None:
        attendees = _by_ids(User, attendee_ids or [], "attendee_ids", "attendees")
    return values, partners, attendees


def create_engagement(values: dict[str, Any], *, actor: User | None) -> Engagement:
    """Log an engagement: its own fields, plus `partner_ids` (at least one) and
    `attendee_ids` (our people); `actor` is recorded as who logged it."""
    values, partners, attendees = _checked_engagement(values, None)
    engagement = Engagement(
        created_by_id=getattr(actor, "id", None),
        partners=partners,
        attendees=attendees,
        **values,
    )
    record_create(
        engagement,
        ENGAGEMENT_TRACKED,
        f"Logged {engagement.kind_label.lower()}: {engagement.subject}",
        actor=actor,
    )
    return engagement


def update_engagement(
    engagement: Engagement,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Engagement:
    """Change an engagement; `partner_ids` / `attendee_ids`, when given, replace who took
    part (still at least one partner)."""
    check_version(engagement, expected_version)
    values, partners, attendees = _checked_engagement(values, engagement)
    tracked = audit.track(engagement, ENGAGEMENT_TRACKED)
    assign(engagement, values)
    if partners is not None:
        engagement.partners = partners
    if attendees is not None:
        engagement.attendees = attendees
    changes = tracked.changes()
    if changes and not any(name in values for name in changes):
        # Only who took part changed: the row itself is untouched, so bump its version
        # by hand, or a stale form could still overwrite this.
        engagement.version = engagement.version + 1
    flush(engagement)
    if changes:
        audit.record(
            "update", engagement, f"Edited engagement {engagement.subject}", changes, actor=actor
        )
    return engagement


# --- Follow-ups ------------------------------------------------------------------------------


def _checked_follow_up(values: dict[str, Any], follow_up: FollowUp | None) -> dict[str, Any]:
    values = plain(values, FOLLOW_UP_FIELDS, FollowUp)
    merged = {**stored(follow_up, FOLLOW_UP_FIELDS), **values}
    require(merged, "title", "due_on")
    # Someone owns every new follow-up, and an edit cannot leave one without (a follow-up
    # made before this rule keeps no owner until someone is chosen).
    if (follow_up is None or "owner_id" in values) and merged.get("owner_id") is None:
        raise DomainError(CHOOSE_AN_OWNER, "owner_id")
    if changed(values, follow_up, "owner_id"):
        active_user(values["owner_id"], "owner_id")
    done_on = values.get("done_on")
    if done_on is not None and done_on > today():
        raise DomainError("A follow-up cannot be done on a day still to come.", "done_on")
    return values


def create_follow_up(
    engagement: Engagement, values: dict[str, Any], *, actor: User | None
) -> FollowUp:
    """A new action from `engagement`; its owner, when given, must be an active user."""
    values = _checked_follow_up(values, None)
    follow_up = FollowUp(engagement=engagement, **values)
    record_create(
        follow_up,
        FOLLOW_UP_FIELDS,
        f"Added follow-up “{follow_up.title}” due {follow_up.due_on.isoformat()}",
        actor=actor,
        parent=engagement,
    )
    return follow_up


def update_follow_up(
    follow_up: FollowUp,
    values: dict[str, Any],
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> FollowUp:
    """Change a follow-up's action, owner, due date (or the day it was done)."""
    check_version(follow_up, expected_version)
    values = _checked_follow_up(values, follow_up)
    tracked = audit.track(follow_up, FOLLOW_UP_FIELDS)
    assign(follow_up, values)
    flush(follow_up)
    record_update(
        follow_up,
        tracked,
        f"Edited follow-up “{follow_up.title}”",
        actor=actor,
        parent=follow_up.engagement,
    )
    return follow_up


def set_follow_up_done(
    follow_up: FollowUp,
    done: bool,
    *,
    actor: User | None,
    on: date | None = None,
    expected_version: int | None = None,
) -> FollowUp:
    """Mark a follow-up done (`on`, by default today; never a day to come) or open again.
    Asking for the state it is in changes nothing, so two people marking it done at
    once do not reopen it. Who may do this is the caller's check
    (`services.can_toggle_follow_up`)."""
    check_version(follow_up, expected_version)
    if bool(done) == follow_up.is_done:
        return follow_up
    values = _checked_follow_up({"done_on": (on or today()) if done else None}, follow_up)
    tracked = audit.track(follow_up, ["done_on"])
    assign(follow_up, values)
    flush(follow_up)
    audit.record(
        "update",
        follow_up,
        f"Marked follow-up “{follow_up.title}” {'done' if done else 'not done'}",
        tracked.changes(),
        actor=actor,
        parent=follow_up.engagement,
    )
    return follow_up


def delete_follow_up(follow_up: FollowUp, *, actor: User | None) -> None:
    delete_record(
        follow_up,
        f"Removed follow-up “{follow_up.title}”",
        actor=actor,
        parent=follow_up.engagement,
        collection="follow_ups",
    )


def restore_follow_up(event: AuditEvent, *, actor: User | None) -> FollowUp:
    """Re-create a removed follow-up (same id) on its engagement, which must still exist;
    its owner must still be active."""
    state = deletion_state(event, "follow-up")
    follow_up = audit.rebuild(FollowUp, state)
    engagement = db.session.get(Engagement, follow_up.engagement_id)
    if engagement is None:
        raise DomainError(
            f"The engagement of “{follow_up.title}” has been deleted, so the follow-up "
            "cannot come back."
        )
    numbers_free([follow_up])
    _checked_follow_up(stored(follow_up, FOLLOW_UP_FIELDS), None)
    db.session.add(follow_up)
    db.session.flush()
    audit.record(
        "restore",
        follow_up,
        f"Restored follow-up “{follow_up.title}”",
        audit.track(follow_up, FOLLOW_UP_FIELDS).created(),
        actor=actor,
        parent=engagement,
    )
    return follow_up


# --- For writers that insert in bulk --------------------------------------------------------
# The scale generator inserts hundreds of thousands of contacts, engagements and follow-ups
# in bulk, too many to write one by one through the operations above. It runs every row
# through these first: a create's own rules, nothing written, the values as they are stored.


def check_new_contact(values: dict[str, Any]) -> dict[str, Any]:
    """`create_contact`'s rules; DomainError on the first broken."""
    return _checked_contact(values, None)


def check_new_engagement(values: dict[str, Any]) -> dict[str, Any]:
    """`create_engagement`'s rules for its own fields and `partner_ids` (at least one) and
    `attendee_ids`, short of looking those ids up: the caller knows they exist."""
    values = plain(values, [*ENGAGEMENT_FIELDS, *ENGAGEMENT_PEOPLE], Engagement)
    _check_engagement_fields(values)
    if not values.get("partner_ids"):
        raise DomainError(AT_LEAST_ONE_PARTNER, "partner_ids")
    return values


def check_new_follow_up(values: dict[str, Any]) -> dict[str, Any]:
    """`create_follow_up`'s rules (its owner an active user); DomainError on the first broken."""
    return _checked_follow_up(values, None)


# --- Undo and restore (the audit trail calls these by table name) ---------------------------

# An undo hands an update operation the old values of the fields it changed (a collection
# as `<singular>_ids`, e.g. an engagement's `partner_ids`).
UPDATERS: dict[str, Callable[..., Any]] = {
    "regions": update_region,
    "partners": update_partner,
    "contacts": update_contact,
    "engagements": update_engagement,
    "follow_ups": update_follow_up,
}

RESTORERS: dict[str, Callable[..., Any]] = {
    "partners": restore_partner,
    "contacts": restore_contact,
    "follow_ups": restore_follow_up,
}
