"""`flask seed-demo --scale N`: a portfolio N times the demo, valid under every rule."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import Date, DateTime, func, select, update

from tests.conftest import login
from tests.factories import make_user
from tracker.auth.models import User
from tracker.commitments import operations as commitment_operations
from tracker.commitments.models import (
    COMMITMENT_CLASSES,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Contribution,
    Milestone,
    MilestoneStatus,
    fields_for,
)
from tracker.core import derived
from tracker.core.errors import DomainError
from tracker.core.items import StoredItem
from tracker.core.text import name_key, search_text
from tracker.core.types import today
from tracker.demo import DEMO_PASSWORD, DEMO_USERS
from tracker.demo.scale import FUTURE_DAYS, PAST_DAYS, seed_scale, sizes, table_counts
from tracker.extensions import db
from tracker.incentives import operations as incentive_operations
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatus,
    Obligation,
)
from tracker.incentives.operations import (
    INCENTIVE_UPDATE_FIELDS,
    OBLIGATION_FIELDS,
    PROMISE_FIELDS,
    REPORT_FIELDS,
)
from tracker.incentives.services import allowed_transitions
from tracker.monitoring.services import scan
from tracker.partners import operations as partner_operations
from tracker.partners.models import (
    Contact,
    Engagement,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
)
from tracker.partners.operations import CONTACT_FIELDS, ENGAGEMENT_FIELDS, FOLLOW_UP_FIELDS

# The tables written in bulk: no operation wrote them, so every row is checked here.
BULK = (Contact, Engagement, FollowUp, Incentive, Obligation, ComplianceReport, AgencyPromise,
        Commitment, Contribution, Milestone)  # fmt: skip
PAGES = ("/", "/dashboard", "/due", "/partners", "/incentives", "/incentives/deadlines",
         "/commitments", "/reports/monthly", "/partners/1", "/regions/1")  # fmt: skip


def _values(record, fields) -> dict:
    return {name: getattr(record, name) for name in fields}


def broken_rules() -> list[str]:
    """Every generated record run through its domain's rules again, and the promises the
    generator makes besides (dates in range, lists in order, no dangling ids, the stored
    dated items as the records derive them); one line per breach."""
    broken: list[str] = []

    def check(label: str, rule, *args, **kwargs):
        try:
            return rule(*args, **kwargs)
        except DomainError as error:
            broken.append(f"{label}: {error.message} ({error.field})")

    def expect(holds: bool, label: str) -> None:
        if not holds:
            broken.append(label)

    for partner in db.session.scalars(select(Partner)):
        label = f"partner {partner.id}"
        check(label, partner_operations.check_region_matches_country, partner.region_id,
              partner.country_code)  # fmt: skip
        expect(partner.name_key == name_key(partner.name), f"{label}: name key")
        expect(partner.search_key == search_text(partner), f"{label}: search key")
    for contact in db.session.scalars(select(Contact)):
        check(f"contact {contact.id}", partner_operations.check_new_contact,
              _values(contact, CONTACT_FIELDS))  # fmt: skip
    for engagement in db.session.scalars(select(Engagement)):
        label = f"engagement {engagement.id}"
        people = {
            "partner_ids": [p.id for p in engagement.partners],
            "attendee_ids": [u.id for u in engagement.attendees],
        }
        check(label, partner_operations.check_new_engagement,
              _values(engagement, ENGAGEMENT_FIELDS) | people)  # fmt: skip
        expect(engagement.created_by_id in people["attendee_ids"], f"{label}: logged by")
        expect(engagement.search_key == search_text(engagement), f"{label}: search key")
        expect(engagement.occurred_on <= today(), f"{label}: occurs in the future")
    for follow_up in db.session.scalars(select(FollowUp)):
        check(f"follow-up {follow_up.id}", partner_operations.check_new_follow_up,
              _values(follow_up, FOLLOW_UP_FIELDS))  # fmt: skip

    for incentive in db.session.scalars(select(Incentive)):
        label = f"incentive {incentive.id}"
        check(label, incentive_operations.check_new_incentive,
              _values(incentive, INCENTIVE_UPDATE_FIELDS))  # fmt: skip
        expect(incentive.search_key == search_text(incentive), f"{label}: search key")
        history = incentive.status_changes
        steps = [(c.from_status, c.to_status) for c in history]
        expect(steps[0][0] is None, f"{label}: history starts elsewhere")
        for (_, before), (after_from, after) in zip(steps, steps[1:], strict=False):
            expect(after_from == before and after in allowed_transitions(before),
                   f"{label}: step {before} → {after}")  # fmt: skip
        days = [c.changed_on for c in history]
        expect(days == sorted(days) and days[-1] <= today(), f"{label}: history dates")
        expect(steps[-1][1] == incentive.status, f"{label}: history ends elsewhere")
        awards = [c.changed_on for c in history if c.to_status == IncentiveStatus.AWARDED]
        expect(incentive.awarded_on == (awards[0] if awards else None), f"{label}: awarded on")
        for obligation in incentive.obligations:
            check(f"obligation {obligation.id}", incentive_operations.check_new_obligation,
                  incentive, _values(obligation, OBLIGATION_FIELDS))  # fmt: skip
        for report in incentive.compliance_reports:
            check(f"report {report.id}", incentive_operations.check_new_report, incentive,
                  _values(report, REPORT_FIELDS))  # fmt: skip
        for promise in incentive.promises:
            check(f"promise {promise.id}", incentive_operations.check_new_promise,
                  _values(promise, PROMISE_FIELDS))  # fmt: skip

    for commitment in db.session.scalars(select(Commitment)):
        label = f"commitment {commitment.id}"
        kind = commitment.kind
        if commitment.status in CommitmentStatus.live():
            check(label, commitment_operations.check_counterparty, kind,
                  commitment.counterparty_id)  # fmt: skip
        # The whole record as stored, its milestones and contributions with it.
        stored = _values(commitment, fields_for(kind))
        check(label, commitment_operations.check_commitment, commitment, kind, stored)
        fresh = COMMITMENT_CLASSES[kind](**stored)
        commitment_operations.derive_values(fresh)
        expect(commitment.value == fresh.value, f"{label}: value")
        expect(commitment.search_key == search_text(commitment), f"{label}: search key")
        milestones = sorted(commitment.milestones, key=lambda m: m.position)
        expect([m.position for m in milestones] == list(range(len(milestones))),
               f"{label}: milestone places")  # fmt: skip
        expect([m.due_on for m in milestones] == sorted(m.due_on for m in milestones),
               f"{label}: milestones out of order")  # fmt: skip
        for milestone in milestones:
            completed_on = check(
                f"milestone {milestone.id}", commitment_operations.check_milestone, commitment,
                milestone.due_on, milestone.status, milestone.completed_on,
            )  # fmt: skip
            expect(completed_on == milestone.completed_on, f"milestone {milestone.id}: done on")
            expect(milestone.due_on >= commitment.start_on, f"milestone {milestone.id}: early")
        for contribution in getattr(commitment, "contributions", []):
            values = _values(contribution, commitment_operations.CONTRIBUTION_FIELDS)
            check(f"contribution {contribution.id}", commitment_operations.check_contribution,
                  commitment, contribution, values)  # fmt: skip

    for model in BULK:
        table = model.__table__
        versions = db.session.scalars(select(table.c.version).distinct()).all()
        expect(versions == [1], f"{table.name}: versions {versions}")
        for column in table.columns:
            if isinstance(column.type, Date) and not isinstance(column.type, DateTime):
                low, high = db.session.execute(select(func.min(column), func.max(column))).one()
                expect(low is None or low >= today() - timedelta(days=PAST_DAYS + 30),
                       f"{column}: from {low}")  # fmt: skip
                expect(high is None or high <= today() + timedelta(days=FUTURE_DAYS),
                       f"{column}: to {high}")  # fmt: skip
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            dangling = db.session.scalar(
                select(func.count())
                .select_from(table)
                .where(key.parent.is_not(None), key.parent.not_in(select(key.column)))
            )
            expect(not dangling, f"{key.parent}: {dangling} point at nothing")
    broken += derived.differences()
    return broken


def test_one_unit_has_the_documented_sizes_and_keeps_every_rule():
    counts = seed_scale(1)

    assert counts == table_counts()
    assert {name: counts[name] for name in sizes(1)} == {
        "partners": 30,
        "engagements": 2_000,
        "follow_ups": 500,
        "incentives": 50,
        "obligations": 200,
        "compliance_reports": 180,
        "agency_promises": 120,
        "commitments": 100,
        "milestones": 2_000,
    }
    assert counts["users"] >= len(DEMO_USERS) and counts["contacts"] >= counts["partners"]
    assert broken_rules() == []

    # What a real portfolio has: every status, kind and date a page shows.
    def values(column) -> set:
        return set(db.session.scalars(select(column).distinct()))

    assert values(Incentive.status) == set(IncentiveStatus.values())
    assert values(Commitment.status) == set(CommitmentStatus.values())
    assert values(Commitment.kind) == set(CommitmentKind.values())
    assert values(Milestone.status) == set(MilestoneStatus.values())
    assert values(Partner.kind) == set(PartnerKind.values())
    assert PartnerStatus.ARCHIVED in values(Partner.status)
    assert counts["contributions"] and counts["dated_items"]
    due = db.session.scalars(select(StoredItem.due_on)).all()
    soon = today() + timedelta(days=7)
    assert any(day < today() for day in due), "nothing overdue"
    assert any(today() <= day <= soon for day in due), "nothing due this week"
    assert any(soon < day <= today() + timedelta(days=30) for day in due), "nothing this month"
    assert any(day > today() + timedelta(days=30) for day in due), "nothing further out"


def test_the_rule_check_sees_a_row_that_breaks_a_rule():
    """The check above is not vacuous: rows broken after the fact are named."""
    seed_scale(1)
    milestone = db.session.scalars(select(Milestone).order_by(Milestone.id)).first()
    late = milestone.commitment.end_on + timedelta(days=1)
    db.session.execute(update(Milestone).where(Milestone.id == milestone.id).values(due_on=late))
    db.session.execute(
        update(FollowUp).where(FollowUp.id == 1).values(done_on=today() + timedelta(days=2))
    )
    db.session.expire_all()

    broken = broken_rules()

    assert any(line.startswith(f"milestone {milestone.id}:") for line in broken), broken
    assert any(line.startswith("follow-up 1:") for line in broken), broken


@pytest.mark.parametrize(
    ("module", "rule"),
    [
        (partner_operations, "check_new_engagement"),
        (incentive_operations, "check_step"),
        (commitment_operations, "check_milestone"),
    ],
)
def test_a_rule_that_refuses_stops_the_generator_with_its_message(monkeypatch, module, rule):
    def refuse(*args, **kwargs):
        raise DomainError(f"{rule} refuses", "field")

    monkeypatch.setattr(module, rule, refuse)

    with pytest.raises(DomainError, match=f"{rule} refuses"):
        seed_scale(1)


def test_pages_answer_and_the_scan_runs_on_a_generated_portfolio(client):
    seed_scale(1)
    manager = DEMO_USERS[1][0]
    assert manager == "manager@example.com"
    assert login(client, manager, DEMO_PASSWORD).status_code == 302

    for page in PAGES:
        assert client.get(page).status_code == 200, page

    first = scan()
    assert first.errors == [] and first.raised, first.errors
    assert scan().raised == []  # a repeated scan has nothing new to raise

    # Rows written after the generator's take the next ids (PostgreSQL's sequences moved on).
    owner = db.session.scalar(select(User).where(User.email == "owner@example.com"))
    commitment = db.session.scalar(
        select(Commitment).where(Commitment.owner_id == owner.id, Commitment.status == "active")
    )
    milestone = commitment_operations.create_milestone(
        commitment, {"title": "Added after", "due_on": commitment.end_on}, actor=owner
    )
    engagement = partner_operations.create_engagement(
        {"kind": "call", "occurred_on": today(), "subject": "Added after", "partner_ids": [1]},
        actor=owner,
    )
    db.session.commit()
    assert (milestone.id, engagement.id) == (2_001, 2_001)


def test_refuses_a_database_that_is_not_empty():
    make_user("admin")
    db.session.commit()
    before = table_counts()

    with pytest.raises(DomainError, match=r"empty database only.* holds 1 row: users \(1\)\. "):
        seed_scale(1)

    assert table_counts() == before


@pytest.mark.parametrize("factor", [0, -3, 1.5, True])
def test_the_factor_is_a_whole_number_from_one(factor):
    with pytest.raises(ValueError, match="whole number from 1"):
        seed_scale(factor)
    assert table_counts() == {}


def _fingerprint() -> str:
    """The generated records, without the time stamps of the moment they were written."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in ("audit_events", "users"):
            continue  # stamped and salted as they are written
        columns = [c for c in table.columns if not isinstance(c.type, DateTime)]
        for row in db.session.execute(select(*columns).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_the_same_factor_gives_the_same_portfolio():
    from tests.conftest import empty_tables

    seed_scale(1)
    first = _fingerprint()
    empty_tables()
    seed_scale(1)
    assert _fingerprint() == first


def test_seed_demo_scale_on_the_command_line(runner, client):
    result = runner.invoke(args=["seed-demo", "--scale", "2"])

    assert result.exit_code == 0, result.output
    counts = table_counts()
    assert {name: counts[name] for name in sizes(2)} == sizes(2)
    assert sizes(2)["engagements"] == 4_000
    assert "Rows per table:" in result.output and "Loaded in" in result.output
    for name, count in counts.items():
        assert f"{name:<26} {count:>10,}" in result.output
    assert broken_rules() == []
    for email, _name, _role in DEMO_USERS:  # the demo logins work
        assert email in result.output
        assert login(client.application.test_client(), email, DEMO_PASSWORD).status_code == 302


def test_seed_demo_scale_refuses_zero_and_a_full_database(runner):
    assert runner.invoke(args=["seed-demo", "--scale", "0"]).exit_code == 2
    make_user("manager")
    db.session.commit()

    result = runner.invoke(args=["seed-demo", "--scale", "1"])

    assert result.exit_code == 1
    assert "fills an empty database only" in result.output
    assert table_counts()["users"] == 1
