"""Every write to commitments, their contributions and milestones, and every rule it keeps.

Views, imports, commands, the demo data and the API call these functions and nothing
else. Each takes plain, typed values (a dict of field → value, as the model stores
them: ids for references, `Decimal` for money, `date` for dates) and an explicit
`actor` (the `User` acting, or None for the system, which may do anything). It checks
every rule, raising `DomainError(message, field)` with the form field / import column
the message belongs to, records the audit event, and flushes without committing.

Updates take a partial dict (only the fields to change) and the version the edit was
made on (`expected_version`; None from imports and commands): a stale one raises
`StaleRecord` and writes nothing.

Who may write: managers and admins every commitment, programme owners their own
(`check_may_edit`); the views answer 403 before asking, imports and the API get the
operation's message.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.auth.models import User
from tracker.auth.permissions import may_create_commitments, may_edit_any_commitment
from tracker.commitments import services
from tracker.commitments.models import (
    COMMITMENT_CLASSES,
    DERIVED_FIELDS,
    MEASURES,
    MONEY_MEASURES,
    OUR_COMPANY,
    REQUIRED_FIELDS,
    REQUIRED_TERM,
    CoInvestment,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Contribution,
    Milestone,
    MilestoneStatus,
    fields_for,
    measure_value,
)
from tracker.core import audit, readings
from tracker.core.codes import is_currency
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEvent
from tracker.core.money import RateBook, money
from tracker.core.records import (
    check_version,
    delete_record,
    flush,
    numbers_free,
    record_create,
    record_update,
)
from tracker.core.types import today
from tracker.core.values import check_route, happened, plain, require, within_minor_units
from tracker.extensions import db
from tracker.incentives.models import Obligation
from tracker.partners.models import Partner, PartnerKind, PartnerStatus, Region

CONTRIBUTION_FIELDS = ["partner_id", "amount", "currency", "paid_to_date"]
MILESTONE_FIELDS = ["title", "due_on", "status", "completed_on", "evidence_note"]
DIRECTIONS = ("up", "down")


# --- Who may write ------------------------------------------------------------------------


def check_may_edit(actor: User | None, commitment: Commitment) -> None:
    """Refuse an actor who may not change `commitment` (or its milestones, contributions)."""
    if actor is None or services.can_edit(actor, commitment):
        return
    owner = db.session.get(User, commitment.owner_id) if commitment.owner_id else None
    raise NotPermitted(
        f"You may not edit {commitment.title}, which {owner.name if owner else 'another user'} "
        "owns.",
        "commitment",
    )


def _check_may_create(actor: User | None) -> None:
    if actor is not None and not may_create_commitments(actor):
        raise NotPermitted("Your role may not create commitments.")


def _check_owner(owner_id: int | None, actor: User | None, commitment: Commitment | None):
    """A new owner must be an active user whose role may own a commitment; only managers
    and admins hand a commitment to someone other than themselves."""
    if commitment is not None and owner_id == commitment.owner_id:
        return
    if actor is not None and not may_edit_any_commitment(actor) and owner_id != actor.id:
        raise DomainError(
            "Only a manager or an admin may give a commitment to another owner.", "owner_id"
        )
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None:
        raise DomainError("Choose who owns the commitment.", "owner_id")
    if not owner.active:
        raise DomainError(
            f"{owner.name} is no longer an active user and cannot own a commitment; "
            "choose another owner.",
            "owner_id",
        )
    if not services.can_own(owner):
        raise DomainError(
            f"{owner.name} is a {owner.role_label.lower()} and cannot own a commitment; "
            "choose a programme owner, a manager or an admin.",
            "owner_id",
        )


# --- Commitment rules ---------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in CommitmentKind.values():
        kinds = ", ".join(choice.label.lower() for choice in CommitmentKind)
        raise DomainError(f"Unknown kind of commitment; choose one of: {kinds}.", "kind")


def _check_currency(currency: str | None, field: str = "currency") -> None:
    if not currency:
        raise DomainError("Enter a currency code.", field)
    if not is_currency(currency) or currency != currency.upper():
        raise DomainError(
            f"“{currency}” is not an ISO 4217 currency code; use one such as EUR, USD or HUF.",
            field,
        )


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def check_counterparty(kind: str, partner_id: int | None, commitment: Commitment | None = None):
    """The counterparty must exist, be of the partner kind the commitment's kind needs, and
    not be archived (unless it already is this commitment's counterparty)."""
    partner = db.session.get(Partner, partner_id) if partner_id else None
    if partner is None:
        raise DomainError("Choose a counterparty from the list.", "counterparty_id")
    unchanged = commitment is not None and commitment.counterparty_id == partner.id
    if partner.status == PartnerStatus.ARCHIVED and not unchanged:
        raise DomainError(
            f"{partner.name} is archived; choose a partner the company still works with.",
            "counterparty_id",
        )
    required = services.COUNTERPARTY_KINDS.get(kind)
    if required and partner.kind != required:
        kind_label = CommitmentKind(kind).label.lower()
        raise DomainError(
            f"The counterparty of {_a(kind_label)} commitment must be "
            f"{_a(PartnerKind(required).label.lower())}; {partner.name} is "
            f"{_a(partner.kind_label.lower())}.",
            "counterparty_id",
        )


def check_commitment(commitment: Commitment | None, kind: str, values: dict) -> None:
    """Refuse values that break a rule, before anything is saved.

    `values` are the commitment's values as they would be after the change (every field,
    not only the changed ones); `commitment` is None for a new one. Checks the title and
    currency, the period order, that no existing milestone falls after a new end date,
    the region and obligation referred to, participants, and that a co-investment's
    contributions still fit a changed budget or currency.
    """
    if not values.get("title"):
        raise DomainError("Enter a title.", "title")
    require(values, *REQUIRED_TERM, *REQUIRED_FIELDS.get(kind, []))
    _check_currency(values.get("currency"))
    within_minor_units(Commitment, values, values["currency"])
    status = values.get("status")
    if status not in CommitmentStatus.values():
        raise DomainError(f"Unknown status “{status}”.", "status")
    start, end = values.get("start_on"), values.get("end_on")
    if start and end and end < start:
        raise DomainError(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}.",
            "end_on",
        )
    if commitment is not None and end:
        late = [m for m in commitment.milestones if m.due_on > end]
        if late:
            names = ", ".join(f"“{m.title}” ({m.due_on.isoformat()})" for m in late)
            raise DomainError(
                f"Milestones are due after {end.isoformat()}: {names}. "
                "Move them first, or choose a later end date.",
                "end_on",
            )
    region_id = values.get("region_id")
    if region_id and db.session.get(Region, region_id) is None:
        raise DomainError("Choose a region from the list.", "region_id")
    if kind == CommitmentKind.ANCHOR_VOLUME:
        check_route(values)
    if kind == CommitmentKind.TRAINING_PROGRAMME:
        obligation_id = values.get("obligation_id")
        if obligation_id and db.session.get(Obligation, obligation_id) is None:
            raise DomainError(
                "That incentive obligation no longer exists; choose another or none.",
                "obligation_id",
            )
        enrolled = values.get("enrolled_participants")
        completed = values.get("completed_participants")
        if enrolled is not None and completed is not None and completed > enrolled:
            raise DomainError(
                f"{completed} participants completed, but only {enrolled} enrolled.",
                "completed_participants",
            )
    if kind == CommitmentKind.CO_INVESTMENT and commitment is not None:
        assert isinstance(commitment, CoInvestment)
        check_budget_covers(
            values.get("budget"),
            values.get("currency") or commitment.currency,
            [(c, c.amount, c.currency) for c in commitment.contributions],
            field="budget",
        )


def derive_values(commitment: Commitment) -> None:
    """Fill what follows from other fields: a co-investment is worth its budget."""
    if isinstance(commitment, CoInvestment):
        commitment.value = commitment.budget


def _editable(kind: str) -> list[str]:
    return fields_for(kind) + DERIVED_FIELDS.get(kind, [])


def _read_well(changes: dict) -> dict:
    """History texts the model cannot word by itself: an obligation by its incentive, the
    company's own contribution as "Our company"."""
    if "obligation_id" in changes:
        change = changes["obligation_id"]
        change["old_text"] = services.obligation_text(change["old"])
        change["new_text"] = services.obligation_text(change["new"])
    if "partner_id" in changes:
        change = changes["partner_id"]
        for side in ("old", "new"):
            if change[side] is None:
                change[f"{side}_text"] = OUR_COMPANY
    return changes


def create_commitment(kind: str, values: dict, *, actor: User | None) -> Commitment:
    """A new commitment of `kind` (a `CommitmentKind` value) from the fields of that kind
    (`fields_for(kind)`).

    The owner defaults to the actor; only managers and admins (and the system) may name
    another. A co-investment's value is its budget, whatever `values` says.
    """
    values = dict(values)
    measured_on = _measured_on(values)
    commitment = new_commitment(kind, values, actor=actor)
    record_create(
        commitment,
        _editable(kind),
        f"Created {commitment.kind_label.lower()} {commitment.title}",
        actor=actor,
        readable=_read_well,
    )
    _read_measures(commitment, {}, measured_on, actor)
    return commitment


def _measured_on(values: dict) -> date:
    """The day the figures among `values` were true on (`measured_on`, popped; today by
    default, never after today)."""
    day = values.pop("measured_on", None)
    happened({"measured_on": day}, None, "measured_on", "A figure")
    return day or today()


def _read_measures(commitment: Commitment, before: dict, day: date, actor) -> None:
    """A reading of `day` for each figure that changed from `before` (all, for a new one)."""
    for name in MEASURES:
        if not hasattr(commitment, name):
            continue
        value = getattr(commitment, name)
        if name in before and before[name] == value:
            continue
        if not before and value is None:
            continue
        readings.record(
            commitment,
            name,
            value,
            day,
            before=before.get(name, readings.MISSING),
            money=name in MONEY_MEASURES,
            actor=actor,
        )
        newest = readings.latest(commitment, name)
        if newest is not None and newest.as_of > day:  # a figure entered late for its day
            value = newest.value
            setattr(commitment, name, measure_value(name, value))


def new_commitment(kind: str, values: dict, *, actor: User | None) -> Commitment:
    """A commitment checked against every rule of a create, its derived values filled in, not
    added to the session: `create_commitment`'s first half, and the check a writer that
    inserts in bulk (the scale generator) runs on every row."""
    _check_kind(kind)
    _check_may_create(actor)
    values = plain(values, _editable(kind), COMMITMENT_CLASSES[kind])
    if values.get("owner_id") is None:
        values["owner_id"] = actor.id if actor is not None else None
    if values.get("status") is None:
        values["status"] = CommitmentStatus.PLANNED.value
    _check_owner(values["owner_id"], actor, None)
    check_counterparty(kind, values.get("counterparty_id"))
    check_commitment(None, kind, values)
    commitment = COMMITMENT_CLASSES[kind]()
    for name, value in values.items():
        setattr(commitment, name, value)
    derive_values(commitment)
    return commitment


def update_commitment(
    commitment: Commitment,
    values: dict,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Commitment:
    """Change some fields of a commitment (its kind never changes). Nothing is recorded
    when nothing changed."""
    check_version(commitment, expected_version)
    check_may_edit(actor, commitment)
    kind = commitment.kind
    fields = _editable(kind)
    values = dict(values)
    measured_on = _measured_on(values)
    values = plain(values, fields, type(commitment))
    if "owner_id" in values:
        _check_owner(values["owner_id"], actor, commitment)
    if "counterparty_id" in values:
        check_counterparty(kind, values["counterparty_id"], commitment)
    after = {name: getattr(commitment, name) for name in fields} | values
    check_commitment(commitment, kind, after)
    tracked = audit.track(commitment, fields)
    before = {name: getattr(commitment, name) for name in MEASURES if hasattr(commitment, name)}
    for name, value in values.items():
        setattr(commitment, name, value)
    derive_values(commitment)
    _read_measures(commitment, before, measured_on, actor)
    flush(commitment)
    record_update(
        commitment, tracked, f"Updated {commitment.title}", actor=actor, readable=_read_well
    )
    return commitment


def delete_commitment(
    commitment: Commitment, *, actor: User | None, expected_version: int | None = None
) -> None:
    """Delete a commitment with its milestones and contributions; the event keeps all of
    them, so an admin can restore it (`restore_commitment`)."""
    check_version(commitment, expected_version)
    check_may_edit(actor, commitment)
    children = {"milestones": list(commitment.milestones)}
    if isinstance(commitment, CoInvestment):
        children["contributions"] = list(commitment.contributions)
    delete_record(
        commitment,
        f"Deleted {commitment.kind_label.lower()} {commitment.title}",
        actor=actor,
        children=children,
    )


# --- Co-investments -----------------------------------------------------------------------


def _convert(book: RateBook, amount: Decimal, currency: str, target: str, on: date, field: str):
    converted = book.convert_between(amount, currency, target, on)
    if converted is None:
        raise DomainError(
            f"No exchange rate in force on {on.isoformat()} to convert {currency} into "
            f"{target}, so the contribution cannot be checked against the budget. An admin "
            f"can add the rate on the FX rates page, or enter the amount in {target}.",
            field,
        )
    return converted


def check_budget_covers(
    budget: Decimal | None,
    currency: str,
    parts: Iterable[tuple[Contribution | None, Decimal, str]],
    *,
    field: str,
    on: date | None = None,
) -> None:
    """Refuse contributions that add up to more than the budget, with the figures.

    Each part is (the contribution, or None for the one being written; amount; currency);
    amounts in another currency are converted into the budget's with the rate in force
    `on` (today).
    """
    parts = list(parts)
    if not parts:
        return
    if budget is None:
        raise DomainError("Set the co-investment's budget before adding contributions.", field)
    on = on or today()
    book = RateBook()
    total = Decimal(0)
    lines = []
    for contribution, amount, part_currency in parts:
        converted = _convert(book, amount, part_currency, currency, on, field)
        total += converted
        name = contribution.party_name if contribution else "this contribution"
        shown = money(amount, part_currency)
        if part_currency != currency:
            shown += f" ≈ {money(converted, currency)}"
        lines.append(f"{name} {shown}")
    if total > budget:
        raise DomainError(
            f"Contributions would add up to {money(total, currency)} "
            f"({'; '.join(lines)}), more than the budget of {money(budget, currency)} "
            f"by {money(total - budget, currency)}.",
            field,
        )


def check_contribution(
    commitment: CoInvestment, contribution: Contribution | None, values: dict
) -> None:
    """A new or changed contribution (`values`: every field as it would be) must name a
    partner still there, and leave all contributions within the budget."""
    _check_currency(values.get("currency"))
    within_minor_units(Contribution, values, values["currency"])
    partner_id = values.get("partner_id")
    if partner_id is not None:
        partner = db.session.get(Partner, partner_id)
        if partner is None:
            raise DomainError("Choose a party from the list.", "partner_id")
        unchanged = contribution is not None and contribution.partner_id == partner_id
        if partner.status == PartnerStatus.ARCHIVED and not unchanged:
            raise DomainError(
                f"{partner.name} is archived; choose a partner the company still works with.",
                "partner_id",
            )
    amount, currency = values.get("amount"), values["currency"]
    if amount is None:
        raise DomainError("Enter an amount.", "amount")
    paid_to_date = values.get("paid_to_date")
    if paid_to_date is not None and paid_to_date > amount:
        raise DomainError(
            f"Paid so far ({money(paid_to_date, currency)}) is more than the "
            f"contribution ({money(amount, currency)}).",
            "paid_to_date",
        )
    others = [
        (c, c.amount, c.currency)
        for c in commitment.contributions
        if contribution is None or c.id != contribution.id
    ]
    check_budget_covers(
        commitment.budget,
        commitment.currency,
        [*others, (None, amount, currency)],
        field="amount",
    )


def _co_investment(commitment: Commitment) -> CoInvestment:
    if not isinstance(commitment, CoInvestment):
        raise DomainError(f"{commitment.title} is not a co-investment: it has no contributions.")
    return commitment


def _contribution_line(contribution: Contribution) -> str:
    return f"{contribution.party_name}, {money(contribution.amount, contribution.currency)}"


def create_contribution(
    commitment: Commitment, values: dict, *, actor: User | None
) -> Contribution:
    """A party's share of a co-investment. `partner_id` None is the company itself; the
    currency defaults to the budget's, the amount paid so far to 0."""
    contribution = new_contribution(commitment, values, actor=actor)
    tracked = audit.track(contribution, CONTRIBUTION_FIELDS)
    contribution.commitment = commitment
    db.session.add(contribution)
    flush(contribution)
    # Worded after the flush: the party is named through the partner it now loads.
    audit.record(
        "create",
        contribution,
        f"Added contribution: {_contribution_line(contribution)}",
        actor=actor,
        changes=_read_well(tracked.created()),
        parent=commitment,
    )
    return contribution


def new_contribution(commitment: Commitment, values: dict, *, actor: User | None) -> Contribution:
    """A contribution checked against every rule of a create (with the contributions
    `commitment` holds), not yet one of them: `create_contribution`'s first half, and the check
    a writer that inserts in bulk (the scale generator) runs on every row."""
    commitment = _co_investment(commitment)
    check_may_edit(actor, commitment)
    values = plain(values, CONTRIBUTION_FIELDS, Contribution)
    values = {
        "partner_id": values.get("partner_id"),
        "amount": values.get("amount"),
        "currency": values.get("currency") or commitment.currency,
        "paid_to_date": values.get("paid_to_date") or Decimal(0),
    }
    check_contribution(commitment, None, values)
    return Contribution(**values)


def update_contribution(
    contribution: Contribution,
    values: dict,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Contribution:
    check_version(contribution, expected_version)
    commitment = contribution.commitment
    check_may_edit(actor, commitment)
    values = plain(values, CONTRIBUTION_FIELDS, Contribution)
    if "paid_to_date" in values and values["paid_to_date"] is None:
        values["paid_to_date"] = Decimal(0)
    after = {name: getattr(contribution, name) for name in CONTRIBUTION_FIELDS} | values
    check_contribution(commitment, contribution, after)
    tracked = audit.track(contribution, CONTRIBUTION_FIELDS)
    for name, value in values.items():
        setattr(contribution, name, value)
    if "partner_id" in values:
        db.session.expire(contribution, ["partner"])  # the name follows the new id
    flush(contribution)
    record_update(
        contribution,
        tracked,
        f"Edited contribution of {contribution.party_name}",
        actor=actor,
        parent=commitment,
        readable=_read_well,
    )
    return contribution


def delete_contribution(
    contribution: Contribution, *, actor: User | None, expected_version: int | None = None
) -> None:
    check_version(contribution, expected_version)
    commitment = contribution.commitment
    check_may_edit(actor, commitment)
    delete_record(
        contribution,
        f"Removed contribution: {_contribution_line(contribution)}",
        actor=actor,
        parent=commitment,
        collection="contributions",
    )


# --- Milestones ---------------------------------------------------------------------------


def check_milestone(
    commitment: Commitment,
    due_on: date | None,
    status: str,
    completed_on: date | None,
    as_of: date | None = None,
) -> date | None:
    """Refuse bad milestone dates; return the completion date to store.

    A milestone may not fall due after the commitment ends, a completion date may not be in
    the future, and only a done milestone has one. Done without a date means done today.
    """
    as_of = as_of or today()
    if due_on is None:
        raise DomainError("Enter the due date (YYYY-MM-DD).", "due_on")
    if status not in MilestoneStatus.values():
        raise DomainError(f"Unknown status “{status}”.", "status")
    if commitment.end_on and due_on > commitment.end_on:
        raise DomainError(
            f"The commitment ends on {commitment.end_on.isoformat()}; a milestone cannot be due "
            f"after that ({due_on.isoformat()}). Choose an earlier date or extend the "
            "commitment first.",
            "due_on",
        )
    if completed_on and completed_on > as_of:
        raise DomainError(
            f"The completion date {completed_on.isoformat()} is in the future; "
            f"today is {as_of.isoformat()}.",
            "completed_on",
        )
    if status != MilestoneStatus.DONE:
        if completed_on:
            raise DomainError(
                "Only a done milestone has a completion date: set the status to Done, "
                "or clear the date.",
                "completed_on",
            )
        return None
    return completed_on or as_of


def next_position(commitment: Commitment) -> int:
    return max((m.position for m in commitment.milestones), default=-1) + 1


def _in_order(commitment: Commitment) -> list[Milestone]:
    return sorted(commitment.milestones, key=lambda m: (m.position, m.due_on, m.id or 0))


def _renumber(ordered: list[Milestone]) -> None:
    for position, milestone in enumerate(ordered):
        if milestone.position != position:
            milestone.position = position


def _place(milestone: Milestone, position: int) -> None:
    """Put `milestone` at `position` (0 first) in its commitment's list, the others
    renumbered 0…n-1 around it."""
    others = [m for m in _in_order(milestone.commitment) if m is not milestone]
    others.insert(max(0, min(position, len(others))), milestone)
    _renumber(others)


def _places(changes: dict) -> dict:
    """A position reads as a place in the list, counted from 1."""
    change = changes.get("position")
    if change is not None:
        for side in ("old", "new"):
            if change[side] is not None:
                change[f"{side}_text"] = str(change[side] + 1)
    return changes


def _milestone_title(values: dict) -> None:
    if not values.get("title"):
        raise DomainError("Enter the milestone's title.", "title")


def create_milestone(commitment: Commitment, values: dict, *, actor: User | None) -> Milestone:
    """A milestone at the end of the commitment's list. The status defaults to planned;
    done without a completion date means done today."""
    check_may_edit(actor, commitment)
    values = plain(values, MILESTONE_FIELDS, Milestone)
    values = {name: values.get(name) for name in MILESTONE_FIELDS}
    values["status"] = values["status"] or MilestoneStatus.PLANNED.value
    _milestone_title(values)
    values["completed_on"] = check_milestone(
        commitment, values["due_on"], values["status"], values["completed_on"]
    )
    milestone = Milestone(**values, position=next_position(commitment))
    milestone.commitment = commitment
    record_create(
        milestone,
        MILESTONE_FIELDS,
        f"Added milestone “{milestone.title}” due {milestone.due_on.isoformat()}",
        actor=actor,
        parent=commitment,
    )
    return milestone


def update_milestone(
    milestone: Milestone,
    values: dict,
    *,
    actor: User | None,
    expected_version: int | None = None,
) -> Milestone:
    """Change some fields of a milestone. A status other than done without a completion
    date given clears the stored one (the milestone is reopened); `position` moves it to
    that place in the list."""
    check_version(milestone, expected_version)
    commitment = milestone.commitment
    check_may_edit(actor, commitment)
    values = plain(values, [*MILESTONE_FIELDS, "position"], Milestone)
    position = values.pop("position", None)
    after = {name: getattr(milestone, name) for name in MILESTONE_FIELDS} | values
    if after["status"] != MilestoneStatus.DONE and "completed_on" not in values:
        after["completed_on"] = None
    _milestone_title(after)
    after["completed_on"] = check_milestone(
        commitment, after["due_on"], after["status"], after["completed_on"]
    )
    tracked = audit.track(milestone, [*MILESTONE_FIELDS, "position"])
    for name, value in after.items():
        if getattr(milestone, name) != value:
            setattr(milestone, name, value)
    if position is not None:
        _place(milestone, position)
    flush(milestone)
    record_update(
        milestone,
        tracked,
        f"Edited milestone “{milestone.title}”",
        actor=actor,
        parent=commitment,
        readable=_places,
    )
    return milestone


def complete_milestone(
    milestone: Milestone,
    *,
    actor: User | None,
    completed_on: date | None = None,
    evidence_note: str | None = None,
) -> Milestone:
    """Mark a milestone done (today, unless `completed_on` says when)."""
    values: dict[str, Any] = {"status": MilestoneStatus.DONE.value, "completed_on": completed_on}
    if evidence_note is not None:
        values["evidence_note"] = evidence_note
    return update_milestone(milestone, values, actor=actor)


def move_milestone(milestone: Milestone, direction: str, *, actor: User | None) -> bool:
    """Swap the milestone with its neighbour above ("up") or below ("down"); False when it
    is at that end already (nothing is recorded).

    Positions are renumbered 0…n-1 first, so milestones that share a position (or were
    added without one) still move one step at a time. One history line per move, on the
    milestone moved.
    """
    if direction not in DIRECTIONS:
        raise DomainError("A milestone moves up or down.", "direction")
    commitment = milestone.commitment
    check_may_edit(actor, commitment)
    ordered = _in_order(commitment)
    _renumber(ordered)
    index = ordered.index(milestone)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ordered):
        return False
    tracked = audit.track(milestone, ["position"])
    ordered.insert(other, ordered.pop(index))
    _renumber(ordered)
    flush(milestone)
    audit.record(
        "update",
        milestone,
        f"Moved milestone “{milestone.title}” {direction}",
        actor=actor,
        changes=_places(tracked.changes()),
        parent=commitment,
    )
    return True


def delete_milestone(
    milestone: Milestone, *, actor: User | None, expected_version: int | None = None
) -> None:
    check_version(milestone, expected_version)
    commitment = milestone.commitment
    check_may_edit(actor, commitment)
    delete_record(
        milestone,
        f"Deleted milestone “{milestone.title}”",
        actor=actor,
        parent=commitment,
        collection="milestones",
    )


# --- Restoring what was deleted -------------------------------------------------------------


def _still_there(model: type, record_id: int | None, gone: str):
    """The record `record_id` points at; DomainError(`gone`) when it was deleted since."""
    if record_id is None:
        return None
    record = db.session.get(model, record_id)
    if record is None:
        raise DomainError(gone)
    return record


def _not_back(model: type, event: AuditEvent) -> None:
    if db.session.get(model, event.entity_id) is not None:
        raise DomainError("A record with this number exists again; nothing to restore.")


def restore_commitment(event: AuditEvent, *, actor: User | None) -> Commitment:
    """Re-create a deleted commitment from its "delete" event, with its milestones and
    contributions, under their old ids. Refused when it would break a rule today: its
    counterparty, owner, region, obligation or a contributing partner gone or no longer
    active, a milestone after its end, contributions above its budget."""
    _not_back(Commitment, event)
    state = event.state or {}
    kept = state.get("values", {})
    kind = kept.get("kind")
    _check_kind(kind)
    _check_may_create(actor)
    title = kept.get("title")
    _still_there(
        Partner,
        kept.get("counterparty_id"),
        f"“{title}” cannot be restored: its counterparty (partner #{kept.get('counterparty_id')}) "
        "has been deleted since.",
    )
    _still_there(
        User,
        kept.get("owner_id"),
        f"“{title}” cannot be restored: its owner (user #{kept.get('owner_id')}) no longer exists.",
    )
    commitment = audit.rebuild(COMMITMENT_CLASSES[kind], state)
    values = {name: getattr(commitment, name) for name in _editable(kind)}
    _check_owner(commitment.owner_id, actor, None)
    check_counterparty(kind, commitment.counterparty_id)
    check_commitment(None, kind, values)
    children = state.get("children", {})
    milestones = [audit.rebuild(Milestone, child) for child in children.get("milestones", [])]
    contributions = [
        audit.rebuild(Contribution, child) for child in children.get("contributions", [])
    ]
    numbers_free([*milestones, *contributions])
    for milestone in milestones:
        check_milestone(commitment, milestone.due_on, milestone.status, milestone.completed_on)
    for contribution in contributions:
        _still_there(
            Partner,
            contribution.partner_id,
            f"“{title}” cannot be restored: a contributing partner "
            f"(#{contribution.partner_id}) has been deleted since.",
        )
    if contributions:
        check_budget_covers(
            commitment.budget,
            commitment.currency,
            [(None, c.amount, c.currency) for c in contributions],
            field="budget",
        )
    tracked = audit.track(commitment, _editable(kind))
    commitment.milestones = milestones
    if isinstance(commitment, CoInvestment):
        commitment.contributions = contributions
    db.session.add(commitment)
    flush(commitment)
    audit.record(
        "restore",
        commitment,
        f"Restored {commitment.kind_label.lower()} {commitment.title} with "
        f"{_count(len(milestones), 'milestone')} and "
        f"{_count(len(contributions), 'contribution')}",
        actor=actor,
        changes=_read_well(tracked.created()),
        reverts=event,
    )
    return commitment


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _parent_of(kept: dict, noun: str) -> Commitment:
    return _still_there(
        Commitment,
        kept.get("commitment_id"),
        f"The {noun} cannot be restored: its commitment has been deleted since; restore the "
        "commitment first.",
    )


def restore_milestone(event: AuditEvent, *, actor: User | None) -> Milestone:
    """Re-create a deleted milestone under its old id, at its old place in the list."""
    _not_back(Milestone, event)
    state = event.state or {}
    commitment = _parent_of(state.get("values", {}), "milestone")
    check_may_edit(actor, commitment)
    milestone = audit.rebuild(Milestone, state)
    check_milestone(commitment, milestone.due_on, milestone.status, milestone.completed_on)
    tracked = audit.track(milestone, MILESTONE_FIELDS)
    position = milestone.position
    milestone.commitment = commitment
    db.session.add(milestone)
    _place(milestone, position)
    flush(milestone)
    audit.record(
        "restore",
        milestone,
        f"Restored milestone “{milestone.title}”",
        actor=actor,
        changes=tracked.created(),
        parent=commitment,
        reverts=event,
    )
    return milestone


def restore_contribution(event: AuditEvent, *, actor: User | None) -> Contribution:
    """Re-create a deleted contribution under its old id, if it still fits the budget."""
    _not_back(Contribution, event)
    state = event.state or {}
    kept = state.get("values", {})
    commitment = _co_investment(_parent_of(kept, "contribution"))
    check_may_edit(actor, commitment)
    _still_there(
        Partner,
        kept.get("partner_id"),
        f"The contribution cannot be restored: its partner (#{kept.get('partner_id')}) has "
        "been deleted since.",
    )
    contribution = audit.rebuild(Contribution, state)
    check_contribution(
        commitment,
        None,
        {name: getattr(contribution, name) for name in CONTRIBUTION_FIELDS},
    )
    tracked = audit.track(contribution, CONTRIBUTION_FIELDS)
    contribution.commitment = commitment
    db.session.add(contribution)
    flush(contribution)
    audit.record(
        "restore",
        contribution,
        f"Restored contribution: {_contribution_line(contribution)}",
        actor=actor,
        changes=_read_well(tracked.created()),
        parent=commitment,
        reverts=event,
    )
    return contribution


# --- For the audit trail's undo and restore (tracker.reports.audit) --------------------------

UPDATERS = {
    "commitments": update_commitment,
    "contributions": update_contribution,
    "milestones": update_milestone,
}
RESTORERS = {
    "commitments": restore_commitment,
    "milestones": restore_milestone,
    "contributions": restore_contribution,
}
