"""Small builders for test data: each returns a flushed object with sensible defaults."""

import itertools
from datetime import date

from tracker.auth.models import User
from tracker.auth.operations import new_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners.models import (
    Engagement,
    EngagementKind,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
)

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_user(
    role: str = "manager",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_sequence)
    user = new_user(
        email or f"{role}{n}@example.com", name or f"{role.title()} User {n}", role, password
    )
    user.active = active
    db.session.flush()
    return user


def make_region(name: str | None = None, country_code: str = "HU", **fields) -> Region:
    region = Region(name=name or f"Region {next(_sequence)}", country_code=country_code, **fields)
    db.session.add(region)
    db.session.flush()
    return region


def make_partner(
    name: str | None = None,
    *,
    kind: str = PartnerKind.ECONOMIC_AGENCY,
    country_code: str = "HU",
    **fields,
) -> Partner:
    partner = Partner(
        name=name or f"Partner {next(_sequence)}",
        kind=kind,
        country_code=country_code,
        status=fields.pop("status", PartnerStatus.ACTIVE),
        **fields,
    )
    db.session.add(partner)
    db.session.flush()
    return partner


def make_engagement(
    partners: list[Partner],
    *,
    occurred_on: date | None = None,
    kind: str = EngagementKind.MEETING,
    attendees=(),
    **fields,
) -> Engagement:
    engagement = Engagement(
        kind=kind,
        occurred_on=occurred_on or today(),
        subject=fields.pop("subject", f"Engagement {next(_sequence)}"),
        partners=list(partners),
        attendees=list(attendees),
        **fields,
    )
    db.session.add(engagement)
    db.session.flush()
    return engagement


def make_follow_up(
    engagement: Engagement,
    *,
    owner: User | None = None,
    due_on: date | None = None,
    done_on: date | None = None,
    title: str | None = None,
) -> FollowUp:
    follow_up = FollowUp(
        engagement=engagement,
        owner=owner,
        due_on=due_on or today(),
        done_on=done_on,
        title=title or f"Action {next(_sequence)}",
    )
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def make_incentive(granting_partner: Partner | None = None, **fields):
    from decimal import Decimal

    from tracker.incentives.models import Incentive, IncentiveKind, IncentiveStatus

    incentive = Incentive(
        title=fields.pop("title", f"Incentive {next(_sequence)}"),
        kind=fields.pop("kind", IncentiveKind.GRANT),
        status=fields.pop("status", IncentiveStatus.IDENTIFIED),
        granting_partner=granting_partner or make_partner(),
        currency=fields.pop("currency", "EUR"),
        amount_offered=fields.pop("amount_offered", Decimal("1000000")),
        **fields,
    )
    db.session.add(incentive)
    db.session.flush()
    return incentive


def make_obligation(incentive, *, target, actual=None, due_on=None, **fields):
    from decimal import Decimal

    from tracker.incentives.models import Obligation, ObligationKind

    obligation = Obligation(
        incentive=incentive,
        kind=fields.pop("kind", ObligationKind.JOBS),
        unit=fields.pop("unit", "jobs"),
        target_value=Decimal(target),
        actual_value=None if actual is None else Decimal(actual),
        due_on=due_on or today(),
        **fields,
    )
    db.session.add(obligation)
    db.session.flush()
    return obligation


def make_fx_rate(currency: str, rate: str, effective_on: date, reporting: str = "EUR"):
    from decimal import Decimal

    from tracker.core.models import FxRate

    fx_rate = FxRate(
        currency=currency,
        rate=Decimal(rate),
        effective_on=effective_on,
        reporting_currency=reporting,
    )
    db.session.add(fx_rate)
    db.session.flush()
    return fx_rate


def make_commitment(
    kind: str = "co_investment",
    *,
    owner: User | None = None,
    counterparty: Partner | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
    **fields,
):
    """A commitment of `kind` (a `CommitmentKind` value), running a year from today by default."""
    from datetime import timedelta
    from decimal import Decimal

    from tracker.commitments.models import COMMITMENT_CLASSES, CommitmentStatus

    defaults = {
        "anchor_volume": {
            "committed_volume": Decimal(1200),
            "volume_unit": "modules",
            "volume_period": "year",
            "volume_taken": Decimal(0),
        },
        "co_investment": {"budget": Decimal(1_000_000), "spend_to_date": Decimal(0)},
        "training_programme": {
            "target_participants": 100,
            "enrolled_participants": 0,
            "completed_participants": 0,
        },
    }.get(kind, {})
    partner_kind = {
        "anchor_volume": PartnerKind.TIER1_SUPPLIER,
        "training_programme": PartnerKind.EDUCATION_PROVIDER,
    }.get(kind, PartnerKind.TIER1_SUPPLIER)
    start_on = start_on or today()
    commitment = COMMITMENT_CLASSES[kind](
        title=fields.pop("title", f"Commitment {next(_sequence)}"),
        status=fields.pop("status", CommitmentStatus.ACTIVE),
        owner=owner or make_user("owner"),
        counterparty=counterparty or make_partner(kind=partner_kind),
        currency=fields.pop("currency", "EUR"),
        start_on=start_on,
        end_on=end_on or start_on + timedelta(days=365),
        **{**defaults, **fields},
    )
    if kind == "co_investment" and "value" not in fields:
        commitment.value = commitment.budget
    db.session.add(commitment)
    db.session.flush()
    return commitment


def make_milestone(
    commitment,
    *,
    due_on: date | None = None,
    status: str = "planned",
    completed_on: date | None = None,
    title: str | None = None,
    position: int | None = None,
    **fields,
):
    from tracker.commitments.models import Milestone

    milestone = Milestone(
        commitment=commitment,
        title=title or f"Milestone {next(_sequence)}",
        due_on=due_on or today(),
        status=status,
        completed_on=completed_on,
        position=len(commitment.milestones) if position is None else position,
        **fields,
    )
    db.session.add(milestone)
    db.session.flush()
    return milestone


def make_contribution(
    commitment,
    amount: str = "100000",
    *,
    partner: Partner | None = None,
    currency: str | None = None,
    paid_to_date: str = "0",
):
    """A share of a co-investment; no `partner` means the company itself."""
    from decimal import Decimal

    from tracker.commitments.models import Contribution

    contribution = Contribution(
        commitment=commitment,
        partner=partner,
        amount=Decimal(amount),
        currency=currency or commitment.currency,
        paid_to_date=Decimal(paid_to_date),
    )
    db.session.add(contribution)
    db.session.flush()
    return contribution
