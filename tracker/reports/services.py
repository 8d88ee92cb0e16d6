"""What leadership and programme staff read: the portfolio, what is due, status pages.

Sums of money are computed in SQL per currency and converted with the rate in
force; health and exposure follow the rules of their domains and are computed
from a fixed number of queries, however much data there is.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from flask import current_app
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import User
from tracker.commitments.models import Commitment, CommitmentStatus
from tracker.core.items import StoredItem
from tracker.core.money import RateBook, Total
from tracker.core.states import judged
from tracker.core.types import today
from tracker.extensions import db
from tracker.incentives.models import Incentive, IncentiveStatus
from tracker.monitoring.items import DatedItem, items_query
from tracker.monitoring.models import ItemKind
from tracker.partners import services as partner_services
from tracker.partners.models import (
    Engagement,
    EngagementDay,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
    engagement_partners,
)
from tracker.partners.states import ALL_KINDS

AGING_BANDS = (("1–30 days", 1, 30), ("31–60 days", 31, 60), ("over 60 days", 61, None))


# --- Everything due ------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    item: DatedItem
    days_left: int
    owner: User | None

    @property
    def kind_label(self) -> str:
        return ItemKind(self.item.kind).label

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def band(self) -> str | None:
        if not self.overdue:
            return None
        late = -self.days_left
        for label, low, high in AGING_BANDS:
            if late >= low and (high is None or late <= high):
                return label
        return None


def _kind_label():
    """The item kinds' labels as SQL, to sort by what the page shows."""
    return case(
        {kind: label for kind, label in ItemKind.choices()}, value=StoredItem.kind, else_=""
    )


DUE_SORTS = {
    "date": lambda: (StoredItem.due_on, StoredItem.title),
    "kind": lambda: (_kind_label(), StoredItem.due_on),
    "title": lambda: (func.lower(StoredItem.title), StoredItem.due_on),
    "owner": lambda: (func.coalesce(User.name, "~"), StoredItem.due_on),
}


def due_query(
    as_of: date,
    *,
    kind: str = "",
    owner_id: int | None = None,
    responsible_id: int | None = None,
    window: str = "all",
    sort: str = "date",
    descending: bool = False,
) -> Select:
    """Every open dated item across the portfolio, with its owner, as a query of the stored
    items. `window`: overdue | next30 | all.

    `owner_id` keeps the items that user owns; `responsible_id` also those of the
    partners the user looks after.
    """
    query = items_query().add_columns(User).outerjoin(User, User.id == StoredItem.owner_id)
    if kind:
        query = query.where(StoredItem.kind == kind)
    if owner_id:
        query = query.where(StoredItem.owner_id == owner_id)
    if responsible_id:
        query = query.where(
            or_(StoredItem.owner_id == responsible_id, Partner.owner_id == responsible_id)
        )
    if window == "overdue":
        query = query.where(StoredItem.due_on < as_of)
    elif window == "next30":
        query = query.where(StoredItem.due_on.between(as_of, as_of + timedelta(days=30)))
    keys = (*DUE_SORTS.get(sort, DUE_SORTS["date"])(), StoredItem.id)
    return query.order_by(*(key.desc() if descending else key for key in keys))


def due_row(row, as_of: date) -> DueRow:
    """A `due_query` result row as the page and the export read it."""
    item = DatedItem(*row[:-1])
    return DueRow(item, (item.due_on - as_of).days, row[-1])


def due_rows(query: Select, as_of: date) -> Iterator[DueRow]:
    """Every row of a `due_query`, read in batches."""
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        yield due_row(row, as_of)


def aging(query: Select, as_of: date) -> list[tuple[str, int, Counter]]:
    """The overdue items of a `due_query` in bands: (band, count, count by kind)."""
    found = query.order_by(None).subquery()
    bands = []
    for label, low, high in AGING_BANDS:
        where = [found.c.due_on <= as_of - timedelta(days=low)]
        if high is not None:
            where.append(found.c.due_on >= as_of - timedelta(days=high))
        by_kind = Counter(
            {
                ItemKind(kind).label: count
                for kind, count in db.session.execute(
                    select(found.c.kind, func.count()).where(*where).group_by(found.c.kind)
                )
            }
        )
        bands.append((label, by_kind.total(), by_kind))
    return bands


# --- The portfolio dashboard ------------------------------------------------------------


@dataclass
class HealthBucket:
    state: str
    count: int = 0
    value: Total | None = None


@dataclass
class Dashboard:
    as_of: date
    currency: str
    secured: Total
    received: Total
    pipeline: Total
    at_risk: Total
    missed_obligations: int
    health: dict[str, HealthBucket]
    overdue_by_kind: Counter
    next30_by_kind: Counter
    engagements_by_month: list[tuple[str, int]]
    regions: list[dict]
    partner_kinds: list[dict]
    warnings: list[str] = field(default_factory=list)


def _money_by_currency(query) -> dict[str, Decimal]:
    return {
        currency: Decimal(amount)
        for currency, amount in db.session.execute(query)
        if amount is not None
    }


def _total(book: RateBook, sums: dict[str, Decimal], on: date) -> Total:
    total = Total(book.reporting)
    for currency, amount in sums.items():
        total.add(book, amount, currency, on)
    return total


def _items_by_kind(*where) -> Counter:
    """How many stored dated items of each kind (by label) match `where`."""
    rows = db.session.execute(
        select(StoredItem.kind, func.count()).where(*where).group_by(StoredItem.kind)
    )
    return Counter({ItemKind(kind).label: count for kind, count in rows})


def month_key(on: date) -> str:
    return f"{on.year:04d}-{on.month:02d}"


def last_months(as_of: date, count: int) -> list[str]:
    keys, year, month = [], as_of.year, as_of.month
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(keys))


def dashboard(as_of: date | None = None) -> Dashboard:
    as_of = as_of or today()
    book = RateBook()

    def incentive_sum(column, statuses):
        return _money_by_currency(
            select(Incentive.currency, func.sum(column))
            .where(Incentive.status.in_(statuses))
            .group_by(Incentive.currency)
        )

    secured = _total(
        book, incentive_sum(Incentive.amount_awarded, IncentiveStatus.secured()), as_of
    )
    received = _total(
        book, incentive_sum(Incentive.amount_received, IncentiveStatus.secured()), as_of
    )
    pipeline = _total(
        book, incentive_sum(Incentive.amount_offered, IncentiveStatus.pipeline()), as_of
    )

    # Exposure and health are the domains' own judgements, stored and kept current.
    exposure, on = judged("incentives", Incentive.id, "clawback_exposure")
    awarded = select().select_from(Incentive).join(exposure, on)
    awarded = awarded.where(Incentive.status.in_(IncentiveStatus.awarded()))
    at_risk = _total(
        book,
        _money_by_currency(
            awarded.add_columns(exposure.currency, func.sum(exposure.amount)).group_by(
                exposure.currency
            )
        ),
        as_of,
    )
    missed = db.session.scalar(awarded.add_columns(func.count()).where(exposure.state == "missed"))

    health = {
        state: HealthBucket(state, 0, Total(book.reporting)) for state in ("red", "amber", "green")
    }
    judgement, on = judged("commitments", Commitment.id, "commitment_health")
    for state, currency, count, value in db.session.execute(
        select(judgement.state, Commitment.currency, func.count(), func.sum(Commitment.value))
        .join(judgement, on)
        .where(Commitment.status.in_(CommitmentStatus.live()))
        .group_by(judgement.state, Commitment.currency)
    ):
        if state in health:
            health[state].count += count
            if value is not None:
                health[state].value.add(book, Decimal(value), currency, as_of)

    overdue = _items_by_kind(StoredItem.due_on < as_of)
    next30 = _items_by_kind(StoredItem.due_on.between(as_of, as_of + timedelta(days=30)))

    months = last_months(as_of, 12)
    counts = Counter()
    for ordinal, count in db.session.execute(
        select(EngagementDay.scope_id, EngagementDay.engagements).where(
            EngagementDay.partner_kind == ALL_KINDS,
            EngagementDay.scope_id.between(
                date(int(months[0][:4]), int(months[0][5:]), 1).toordinal(), as_of.toordinal()
            ),
        )
    ):
        counts[month_key(date.fromordinal(ordinal))] += count
    by_month = [(key, counts.get(key, 0)) for key in months]

    warnings = sorted(
        {t.warning for t in (secured, received, pipeline, at_risk) if t.warning}
        | {b.value.warning for b in health.values() if b.value.warning}
    )
    return Dashboard(
        as_of=as_of,
        currency=book.reporting,
        secured=secured,
        received=received,
        pipeline=pipeline,
        at_risk=at_risk,
        missed_obligations=missed,
        health=health,
        overdue_by_kind=overdue,
        next30_by_kind=next30,
        engagements_by_month=by_month,
        regions=region_breakdown(book, as_of),
        partner_kinds=partner_kind_breakdown(as_of),
        warnings=warnings,
    )


def region_breakdown(book: RateBook, as_of: date, region_id: int | None = None) -> list[dict]:
    """Per region: partners (not archived), secured incentives (awarded and received,
    converted), live commitments and their value. The dashboard's table and a region's
    own page read the same figures from here; `region_id` keeps one region."""

    def one_region(query, column):
        return query.where(column == region_id) if region_id is not None else query

    partners = dict(
        db.session.execute(
            one_region(
                select(Partner.region_id, func.count())
                .where(Partner.status != PartnerStatus.ARCHIVED)
                .group_by(Partner.region_id),
                Partner.region_id,
            )
        ).all()
    )
    secured, received = defaultdict(dict), defaultdict(dict)
    for region, currency, awarded_sum, received_sum in db.session.execute(
        one_region(
            select(
                Incentive.region_id,
                Incentive.currency,
                func.sum(Incentive.amount_awarded),
                func.sum(Incentive.amount_received),
            )
            .where(Incentive.status.in_(IncentiveStatus.secured()))
            .group_by(Incentive.region_id, Incentive.currency),
            Incentive.region_id,
        )
    ):
        if awarded_sum is not None:
            secured[region][currency] = Decimal(awarded_sum)
        if received_sum is not None:
            received[region][currency] = Decimal(received_sum)
    commitment_values = defaultdict(dict)
    commitment_counts = Counter()
    for region, currency, count, amount in db.session.execute(
        one_region(
            select(
                Commitment.region_id, Commitment.currency, func.count(), func.sum(Commitment.value)
            )
            .where(Commitment.status.in_(CommitmentStatus.live()))
            .group_by(Commitment.region_id, Commitment.currency),
            Commitment.region_id,
        )
    ):
        commitment_counts[region] += count
        if amount is not None:
            commitment_values[region][currency] = Decimal(amount)
    rows = []
    regions = select(Region).order_by(Region.country_code, Region.name)
    for region in db.session.scalars(one_region(regions, Region.id)):
        rows.append(
            {
                "region": region,
                "partners": partners.get(region.id, 0),
                "secured": _total(book, secured.get(region.id, {}), as_of),
                "received": _total(book, received.get(region.id, {}), as_of),
                "commitments": commitment_counts.get(region.id, 0),
                "commitment_value": _total(book, commitment_values.get(region.id, {}), as_of),
            }
        )
    return rows


def partner_kind_breakdown(as_of: date) -> list[dict]:
    """Per partner kind: partners, and engagements with them in the last 12 months."""
    partners = dict(
        db.session.execute(
            select(Partner.kind, func.count())
            .where(Partner.status != PartnerStatus.ARCHIVED)
            .group_by(Partner.kind)
        ).all()
    )
    since = as_of - timedelta(days=365)
    engagements = dict(
        db.session.execute(
            select(EngagementDay.partner_kind, func.sum(EngagementDay.engagements))
            .where(
                EngagementDay.partner_kind != ALL_KINDS,
                EngagementDay.scope_id >= since.toordinal(),
            )
            .group_by(EngagementDay.partner_kind)
        ).all()
    )
    return [
        {
            "kind": kind,
            "partners": partners.get(kind.value, 0),
            "engagements": engagements.get(kind.value, 0),
        }
        for kind in PartnerKind
    ]


# --- Status pages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """A stored judgement as a status page shows it (`tracker.core.states`)."""

    state: str
    reason: str
    amount: Decimal | None = None

    @property
    def label(self) -> str:
        return self.state.replace("_", " ").capitalize()

    @property
    def colour(self) -> str:
        return JUDGED_COLOURS.get(self.state, "grey")

    @property
    def missed(self) -> bool:
        return self.state == "missed"


JUDGED_COLOURS = {"red": "red", "amber": "amber", "green": "green", "missed": "red"}


@dataclass
class Section:
    """The first rows of a status page's section (`first_rows`), and how many there are."""

    rows: list
    count: int

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def first_rows(query: Select) -> tuple[list, int]:
    """The first page's worth of rows of `query` (`PAGE_SIZE`, 50 unless configured; the
    rest are a link away), and how many rows it has in all."""
    count = db.session.scalar(query.with_only_columns(func.count()).order_by(None))
    rows = db.session.execute(query.limit(current_app.config["PAGE_SIZE"])).unique().all()
    return rows, count


def _section(query: Select) -> Section:
    rows, count = first_rows(query)
    judged_rows = [
        (record, Judged(state or "unknown", reason or "", amount))
        for record, state, reason, amount in rows
    ]
    return Section(judged_rows, count)


def region_partners(region_id: int, as_of: date) -> Section:
    """The region's partners (not archived) by name, with their relationship health."""
    query, _ = partner_services.partner_rows_query(
        partner_services.PartnerFilters(region_id=region_id), as_of
    )
    rows, count = first_rows(query.order_by(Partner.name, Partner.id))
    health = partner_services.relationship_health
    return Section([(row[0], health(row[0], *row[1:5], as_of)) for row in rows], count)


def commitments_with_health(where) -> Section:
    """Commitments matching `where` with their stored health, by status and title."""
    options = (joinedload(Commitment.owner), joinedload(Commitment.counterparty))
    return _judged_section(Commitment, "commitment_health", where, options)


def incentives_with_exposure(where) -> Section:
    """Incentives matching `where` with their stored clawback exposure, by status and title."""
    options = (joinedload(Incentive.granting_partner),)
    return _judged_section(Incentive, "clawback_exposure", where, options)


def _judged_section(model, aspect: str, where, options) -> Section:
    judgement, on = judged(model.__tablename__, model.id, aspect)
    query = (
        select(model, judgement.state, judgement.reason, judgement.amount)
        .outerjoin(judgement, on)
        .where(where)
        .options(*options)
        .order_by(model.status, model.title, model.id)
    )
    return _section(query)


def exposure_total(where, book: RateBook, as_of: date) -> Total:
    """The stored clawback exposure of the incentives matching `where` (secured ones), summed
    per currency and converted."""
    exposure, on = judged("incentives", Incentive.id, "clawback_exposure")
    return _total(
        book,
        _money_by_currency(
            select(exposure.currency, func.sum(exposure.amount))
            .select_from(Incentive)
            .join(exposure, on)
            .where(where, Incentive.status.in_(IncentiveStatus.secured()))
            .group_by(exposure.currency)
        ),
        as_of,
    )


def last_and_next_engagements(partner: Partner, as_of: date, limit: int = 5):
    base = (
        select(Engagement)
        .join(engagement_partners, engagement_partners.c.engagement_id == Engagement.id)
        .where(engagement_partners.c.partner_id == partner.id)
        .options(selectinload(Engagement.partners), selectinload(Engagement.attendees))
    )
    last = db.session.scalars(
        base.where(Engagement.occurred_on <= as_of)
        .order_by(Engagement.occurred_on.desc())
        .limit(limit)
    ).all()
    upcoming = db.session.scalars(
        base.where(Engagement.occurred_on > as_of).order_by(Engagement.occurred_on).limit(limit)
    ).all()
    return last, upcoming


@dataclass(frozen=True)
class Worklist:
    """The first rows of a `due_query` and how many it holds in all."""

    rows: list[DueRow]
    count: int

    SHOWN = 10

    @classmethod
    def of(cls, query: Select, as_of: date) -> "Worklist":
        count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = [due_row(row, as_of) for row in db.session.execute(query.limit(cls.SHOWN))]
        return cls(rows, count)


def my_work(user: User, as_of: date) -> dict:
    """A manager's or owner's home: the overdue and upcoming items they own or whose partner
    they look after, their open follow-ups, and their open alerts."""
    from tracker.monitoring.services import alerts_query

    mine = partial(due_query, as_of, responsible_id=user.id)
    return {
        "overdue": Worklist.of(mine(window="overdue"), as_of),
        "upcoming": Worklist.of(mine(window="next30"), as_of),
        "follow_ups": Worklist.of(
            due_query(as_of, owner_id=user.id, kind=ItemKind.FOLLOW_UP_DUE), as_of
        ),
        "alerts": db.session.scalars(alerts_query(user.id, "open").limit(10)).all(),
    }
