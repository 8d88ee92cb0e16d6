"""The figures of four pages computed by hand in SQL, to set each page's time against.

Each function below reads the base tables with hand-written SQL (`text()`, no ORM objects)
and returns what its page shows: the dashboard, everything due (`/due`), the incentives
list's totals and first page, and the monthly board report. The benchmark times them beside
their pages and prints page / raw as a ratio; `figures_*` take the same figures from the
application's services, and `differences` names every figure where the two disagree, so a
ratio is never taken against SQL that computes something else.

Where the application applies a rule in Python, the SQL spells it out (clawback shares,
commitment health, what each dated item is owed by). Approximations, named again in
`APPROXIMATIONS`:

* commitment health compares progress with time elapsed in floating point, where the
  application uses exact fractions (only a lag of exactly the tolerance can differ);
* health gives the state only, not the reasons' wording;
* clawback exposure is rounded to cents in every currency (the application rounds to each
  currency's minor unit: half a yen at most);
* a follow-up's "partner owner" is not computed (the pages benchmarked filter on no one);
* rows with the same due date may come in another order on PostgreSQL (its collation
  orders titles, Python orders code points).
"""

# ruff: noqa: S608 (the SQL is put together from this module's own constants and SQL
# fragments; every value from outside is a bound parameter)

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import Date, bindparam, text

from tracker.commitments.models import CommitmentStatus
from tracker.extensions import db
from tracker.incentives.models import IncentiveStatus
from tracker.monitoring.models import ItemKind
from tracker.partners.models import PartnerKind

APPROXIMATIONS = {
    "dashboard": "health lag in floating point; health state without its reasons",
    "due": "rows due the same day may be ordered differently on PostgreSQL",
    "incentives": "exposure rounded to cents, not to each currency's minor unit",
    "monthly": "health lag in floating point; attention list without reasons' wording",
}
PAGE_SIZE = 50
S = IncentiveStatus


def _in(values) -> str:
    """An SQL list of our own enum values (constants, never user input)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


AWARDED = _in(S.awarded())
SECURED = _in(S.secured())
PIPELINE = _in(S.pipeline())
LIVE = _in(CommitmentStatus.live())
AFTER_AWARD = _in((S.AWARDED, S.IN_COMPLIANCE, S.CLOSED, S.CLAWED_BACK, S.WITHDRAWN))


def _days(later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later`, in this database's dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _month_key(column: str) -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    return f"strftime('%Y-%m', {column})"


def _rows(sql: str, **params) -> list:
    """Run hand-written SQL; date parameters are bound as dates on every dialect."""
    statement = text(sql).bindparams(
        *(bindparam(name, type_=Date) for name, value in params.items() if isinstance(value, date))
    )
    return db.session.execute(statement, params).all()


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _money(value) -> Decimal:
    """An amount of money (or a sum of amounts) as the SQL returns it: SQLite keeps money as
    an integer of thousandths (`tracker.core.types.ExactMoney`)."""
    number = _decimal(value)
    return number.scaleb(-3) if db.session.get_bind().dialect.name == "sqlite" else number


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- Money ------------------------------------------------------------------------------------


class Rates:
    """The rates to the reporting currency in force on a date, read with one query."""

    def __init__(self):
        self.reporting = current_app.config["REPORTING_CURRENCY"]
        self.history = defaultdict(list)
        for currency, effective_on, rate in _rows(
            "SELECT currency, effective_on, rate FROM fx_rates "
            "WHERE reporting_currency = :reporting ORDER BY currency, effective_on",
            reporting=self.reporting,
        ):
            self.history[currency].append((_day(effective_on), _decimal(rate)))

    def rate(self, currency: str, on: date) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        in_force = None
        for effective_on, rate in self.history.get(currency, ()):
            if effective_on > on:
                break
            in_force = rate
        return in_force

    def total(self, sums: dict[str, object], on: date) -> dict:
        """Per-currency sums (as the SQL returns money, `_money`) in the reporting currency:
        {"amount", "missing": {currency: sum}}."""
        amount, missing = Decimal(0), {}
        for currency, value in sums.items():
            if value is None:
                continue
            rate = self.rate(currency, on)
            if rate is None:
                missing[currency] = _money(value)
            else:
                amount += _money(value) * rate
        return {"amount": amount, "missing": missing}


# --- Shared pieces: dated items, clawback exposure, commitment health -------------------------


def items_sql() -> str:
    """Every open dated item (kind, due_on, title, owner_id, path), by the rules of
    `incentives.services.open_deadlines` and the monitors' milestones and follow-ups."""
    return f"""
    SELECT 'application_deadline' AS kind, i.application_deadline AS due_on,
           'Apply for ' || i.title AS title, i.owner_id AS owner_id,
           '/incentives/' || i.id AS path
      FROM incentives i
     WHERE i.status IN ('identified', 'preparing') AND i.application_deadline IS NOT NULL
    UNION ALL
    SELECT 'decision', i.decision_expected_on, 'Decision on ' || i.title, i.owner_id,
           '/incentives/' || i.id
      FROM incentives i
     WHERE i.status = 'submitted' AND i.decision_expected_on IS NOT NULL
    UNION ALL
    SELECT 'obligation_due', o.due_on,
           COALESCE(NULLIF(o.description, ''), REPLACE(o.kind, '_', ' ')) || ' (' || i.title || ')',
           COALESCE(o.owner_id, i.owner_id), '/incentives/' || i.id
      FROM obligations o JOIN incentives i ON i.id = o.incentive_id
     WHERE i.status IN {AWARDED} AND (o.actual_value IS NULL OR o.actual_value < o.target_value)
    UNION ALL
    SELECT 'report_due', r.due_on, r.title || ' (' || i.title || ')', i.owner_id,
           '/incentives/' || i.id
      FROM compliance_reports r JOIN incentives i ON i.id = r.incentive_id
     WHERE i.status IN {AWARDED} AND r.submitted_on IS NULL
    UNION ALL
    SELECT 'promise_due', p.due_on,
           'Agency promise: ' || p.description || ' (' || i.title || ')', i.owner_id,
           '/incentives/' || i.id
      FROM agency_promises p JOIN incentives i ON i.id = p.incentive_id
     WHERE i.status IN {AWARDED} AND p.status = 'pending'
    UNION ALL
    SELECT 'term_end', i.term_end_on, 'Term of ' || i.title || ' ends', i.owner_id,
           '/incentives/' || i.id
      FROM incentives i
     WHERE i.status IN {AWARDED} AND i.term_end_on IS NOT NULL
    UNION ALL
    SELECT 'milestone_due', m.due_on, m.title || ' (' || c.title || ')', c.owner_id,
           '/commitments/' || c.id
      FROM milestones m JOIN commitments c ON c.id = m.commitment_id
     WHERE m.status <> 'done' AND c.status IN {LIVE}
    UNION ALL
    SELECT 'follow_up_due', f.due_on, f.title || ' (' || e.subject || ')', f.owner_id,
           '/engagements/' || e.id
      FROM follow_ups f JOIN engagements e ON e.id = f.engagement_id
     WHERE f.done_on IS NULL
    """


def exposure_sql(status: str) -> str:
    """Per incentive held (`status`, an SQL expression over `i`, is awarded or in
    compliance) with a clawback rule and obligations: id, currency, exposure (principal +
    interest, in its currency) and whether an obligation is past due and short; by the
    rules of `incentives.services.clawback_exposure`."""
    achieved = (
        "CASE WHEN o.target_value = 0 THEN 100.0 "
        "WHEN COALESCE(o.actual_value, 0) * 100.0 / o.target_value >= 100 THEN 100.0 "
        "ELSE COALESCE(o.actual_value, 0) * 100.0 / o.target_value END"
    )
    interest_days = _days(":as_of", "x.awarded_on")
    return f"""
    SELECT x.id, x.currency, x.title, x.status_then, x.missed,
           ROUND(x.principal + CASE
               WHEN x.interest = 'simple' AND x.interest_pct IS NOT NULL AND x.principal <> 0
                    AND x.awarded_on IS NOT NULL
               THEN x.principal * x.interest_pct / 100.0
                    * (CASE WHEN {interest_days} > 0 THEN {interest_days} ELSE 0 END) / 365.0
               ELSE 0 END, 2) AS exposure
      FROM (
        SELECT h.id, h.currency, h.title, h.status_then, h.awarded_on, h.interest_pct,
               h.interest,
               h.basis * CASE
                   WHEN h.clawback_rule = 'pro_rata' THEN 100 - MIN(a.pct)
                   WHEN SUM(CASE WHEN a.pct < COALESCE(h.floor_pct, 100) THEN 1 ELSE 0 END) > 0
                   THEN 100 ELSE 0 END / 100.0 AS principal,
               MAX(CASE WHEN a.pct < 100 AND a.due_on < :as_of THEN 1 ELSE 0 END) AS missed
          FROM (
            SELECT i.id, i.currency, i.title, i.clawback_rule, i.awarded_on,
                   i.clawback_floor_pct AS floor_pct, i.clawback_interest_pct AS interest_pct,
                   i.clawback_interest AS interest,
                   {status} AS status_then,
                   CASE WHEN COALESCE(i.amount_received, 0) > 0 THEN i.amount_received
                        ELSE COALESCE(i.amount_awarded, 0) END AS basis
              FROM incentives i
          ) h
          JOIN (SELECT o.incentive_id, o.due_on, {achieved} AS pct FROM obligations o) a
            ON a.incentive_id = h.id
         WHERE h.status_then IN {AWARDED} AND h.clawback_rule <> 'none'
         GROUP BY h.id, h.currency, h.title, h.status_then, h.awarded_on, h.interest_pct,
                  h.interest, h.basis, h.clawback_rule, h.floor_pct
      ) x
    """


PERIOD_DAYS = {"month": 36525 / 1200, "quarter": 36525 / 400, "year": 36525 / 100}


def health_sql(*, as_of_view: bool) -> str:
    """Live commitments with their health state (red, amber, green), by the rules of
    `commitments.services.commitment_health`. With `as_of_view`, each milestone is seen as it
    stood on :as_of (done only if completed by then; missed only once due) and commitments
    not begun by then are left out, as the monthly report does."""
    if as_of_view:
        status = (
            "CASE WHEN m.status = 'done' AND m.completed_on > :as_of THEN 'in_progress' "
            "WHEN m.status = 'missed' AND m.due_on > :as_of THEN 'in_progress' "
            "ELSE m.status END"
        )
        begun = "AND (c.start_on IS NULL OR c.start_on <= :as_of)"
    else:
        status, begun = "m.status", ""
    elapsed = (
        "CASE WHEN c.start_on IS NULL OR c.end_on IS NULL THEN NULL "
        "WHEN :as_of <= c.start_on THEN 0.0 WHEN :as_of >= c.end_on THEN 1.0 "
        f"ELSE {_days(':as_of', 'c.start_on')} * 1.0 / {_days('c.end_on', 'c.start_on')} END"
    )
    term = _days("c.end_on", "c.start_on")
    total_volume = (
        "CASE WHEN c.committed_volume IS NULL OR c.volume_period IS NULL THEN NULL "
        "WHEN c.volume_period = 'total' THEN c.committed_volume * 1.0 "
        "WHEN c.start_on IS NULL OR c.end_on IS NULL THEN NULL "
        + "".join(
            f"WHEN c.volume_period = '{period}' THEN c.committed_volume * {term} / {days!r} "
            for period, days in PERIOD_DAYS.items()
        )
        + "END"
    )
    progress = f"""CASE
        WHEN c.kind = 'anchor_volume' THEN
            CASE WHEN c.volume_taken IS NULL OR ({total_volume}) IS NULL OR ({total_volume}) = 0
                 THEN NULL ELSE c.volume_taken * 1.0 / ({total_volume}) END
        WHEN c.kind = 'co_investment' THEN
            CASE WHEN c.budget IS NULL OR c.budget = 0 OR c.spend_to_date IS NULL THEN NULL
                 ELSE c.spend_to_date * 1.0 / c.budget END
        WHEN c.kind = 'training_programme' THEN
            CASE WHEN c.target_participants IS NULL OR c.target_participants = 0
                      OR c.completed_participants IS NULL THEN NULL
                 ELSE c.completed_participants * 1.0 / c.target_participants END
        WHEN COALESCE(ms.n, 0) = 0 THEN NULL
        ELSE ms.done * 1.0 / ms.n END"""
    return f"""
    SELECT y.id, y.title, y.currency, y.value,
           CASE WHEN y.overdue = 1 OR y.overspent = 1 THEN 'red'
                WHEN y.soon = 1 OR (y.elapsed IS NOT NULL AND y.progress IS NOT NULL
                                    AND (y.elapsed - y.progress) * 100 > :lag_tolerance)
                THEN 'amber'
                ELSE 'green' END AS state
      FROM (
        SELECT c.id, c.title, c.currency, c.value,
               COALESCE(ms.overdue, 0) AS overdue, COALESCE(ms.soon, 0) AS soon,
               CASE WHEN c.kind = 'co_investment' AND c.budget IS NOT NULL
                         AND COALESCE(c.spend_to_date, 0) > c.budget THEN 1 ELSE 0 END
                   AS overspent,
               {elapsed} AS elapsed,
               {progress} AS progress
          FROM commitments c
          LEFT JOIN (
            SELECT m.commitment_id, COUNT(*) AS n,
                   SUM(CASE WHEN m.st = 'done' THEN 1 ELSE 0 END) AS done,
                   MAX(CASE WHEN m.st = 'missed'
                                 OR (m.st IN ('planned', 'in_progress') AND m.due_on < :as_of)
                            THEN 1 ELSE 0 END) AS overdue,
                   MAX(CASE WHEN m.st = 'planned' AND m.due_on >= :as_of
                                 AND m.due_on <= :horizon THEN 1 ELSE 0 END) AS soon
              FROM (SELECT m.commitment_id, m.due_on, {status} AS st FROM milestones m) m
             GROUP BY m.commitment_id
          ) ms ON ms.commitment_id = c.id
         WHERE c.status IN {LIVE} {begun}
      ) y
    """


def _health_params(as_of: date) -> dict:
    config = current_app.config
    return {
        "as_of": as_of,
        "horizon": as_of + timedelta(days=config["COMMITMENT_AMBER_DAYS"]),
        "lag_tolerance": config["COMMITMENT_LAG_TOLERANCE"],
    }


def _buckets(rows, rates: Rates, on: date) -> dict:
    counts, sums = Counter(), defaultdict(lambda: defaultdict(Decimal))
    for state, currency, count, value in rows:
        counts[state] += count
        if value is not None:
            sums[state][currency] += _decimal(value)
    return {
        state: {"count": counts[state], "value": rates.total(sums[state], on)["amount"]}
        for state in ("red", "amber", "green")
    }


# --- The dashboard ---------------------------------------------------------------------------


def dashboard(as_of: date) -> dict:
    """What `/dashboard` shows, in hand-written SQL."""
    rates = Rates()
    money = defaultdict(dict)
    for currency, secured, received, pipeline in _rows(
        f"""SELECT currency,
                   SUM(CASE WHEN status IN {SECURED} THEN amount_awarded END),
                   SUM(CASE WHEN status IN {SECURED} THEN amount_received END),
                   SUM(CASE WHEN status IN {PIPELINE} THEN amount_offered END)
              FROM incentives GROUP BY currency"""
    ):
        money["secured"][currency] = secured
        money["received"][currency] = received
        money["pipeline"][currency] = pipeline
    exposure, missed = {}, 0
    for currency, amount, count in _rows(
        f"SELECT x.currency, SUM(x.exposure), SUM(x.missed) FROM ({exposure_sql('i.status')}) x "
        "GROUP BY x.currency",
        as_of=as_of,
    ):
        exposure[currency] = amount
        missed += int(count or 0)
    health = _buckets(
        _rows(
            f"SELECT h.state, h.currency, COUNT(*), SUM(h.value) "
            f"FROM ({health_sql(as_of_view=False)}) h GROUP BY h.state, h.currency",
            **_health_params(as_of),
        ),
        rates,
        as_of,
    )
    overdue, next30 = Counter(), Counter()
    for kind, is_overdue, count in _rows(
        f"""SELECT t.kind, CASE WHEN t.due_on < :as_of THEN 1 ELSE 0 END, COUNT(*)
              FROM ({items_sql()}) t
             WHERE t.due_on <= :next30
             GROUP BY t.kind, CASE WHEN t.due_on < :as_of THEN 1 ELSE 0 END""",
        as_of=as_of,
        next30=as_of + timedelta(days=30),
    ):
        (overdue if is_overdue else next30)[kind] += count
    first_month = _first_of_month_back(as_of, 11)
    by_month = dict(
        _rows(
            f"SELECT {_month_key('occurred_on')}, COUNT(*) FROM engagements "
            "WHERE occurred_on >= :since AND occurred_on <= :as_of "
            f"GROUP BY {_month_key('occurred_on')}",
            since=first_month,
            as_of=as_of,
        )
    )
    months = [_first_of_month_back(as_of, back) for back in range(11, -1, -1)]
    return {
        "secured": rates.total(money["secured"], as_of)["amount"],
        "received": rates.total(money["received"], as_of)["amount"],
        "pipeline": rates.total(money["pipeline"], as_of)["amount"],
        "at_risk": rates.total(exposure, as_of)["amount"],
        "missed_obligations": missed,
        "health": {state: bucket["count"] for state, bucket in health.items()},
        "health_value": {state: bucket["value"] for state, bucket in health.items()},
        "overdue_by_kind": dict(overdue),
        "next30_by_kind": dict(next30),
        "engagements_by_month": [(f"{m:%Y-%m}", by_month.get(f"{m:%Y-%m}", 0)) for m in months],
        "regions": regions(as_of, rates),
        "partner_kinds": partner_kinds(as_of),
    }


def _first_of_month_back(on: date, months: int) -> date:
    index = on.year * 12 + on.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def regions(as_of: date, rates: Rates) -> list[dict]:
    partners = dict(
        _rows(
            "SELECT region_id, COUNT(*) FROM partners WHERE status <> 'archived' GROUP BY region_id"
        )
    )
    secured, received = defaultdict(dict), defaultdict(dict)
    for region, currency, awarded, got in _rows(
        f"""SELECT region_id, currency, SUM(amount_awarded), SUM(amount_received)
              FROM incentives WHERE status IN {SECURED} GROUP BY region_id, currency"""
    ):
        secured[region][currency] = awarded
        received[region][currency] = got
    counts, values = Counter(), defaultdict(dict)
    for region, currency, count, value in _rows(
        f"""SELECT region_id, currency, COUNT(*), SUM(value) FROM commitments
             WHERE status IN {LIVE} GROUP BY region_id, currency"""
    ):
        counts[region] += count
        values[region][currency] = value
    return [
        {
            "region": name,
            "partners": partners.get(region_id, 0),
            "secured": rates.total(secured.get(region_id, {}), as_of)["amount"],
            "received": rates.total(received.get(region_id, {}), as_of)["amount"],
            "commitments": counts.get(region_id, 0),
            "commitment_value": rates.total(values.get(region_id, {}), as_of)["amount"],
        }
        for region_id, name in _rows("SELECT id, name FROM regions ORDER BY country_code, name")
    ]


def partner_kinds(as_of: date) -> dict:
    partners = dict(
        _rows("SELECT kind, COUNT(*) FROM partners WHERE status <> 'archived' GROUP BY kind")
    )
    engaged = dict(
        _rows(
            """SELECT p.kind, COUNT(DISTINCT e.id) FROM partners p
                 JOIN engagement_partners ep ON ep.partner_id = p.id
                 JOIN engagements e ON e.id = ep.engagement_id
                WHERE e.occurred_on >= :since GROUP BY p.kind""",
            since=as_of - timedelta(days=365),
        )
    )
    return {
        kind.value: (partners.get(kind.value, 0), engaged.get(kind.value, 0))
        for kind in PartnerKind
    }


def figures_dashboard(as_of: date) -> dict:
    """The same figures from `reports.services.dashboard`."""
    from tracker.reports import services

    d = services.dashboard(as_of)
    labels = {kind.label: kind.value for kind in ItemKind}
    return {
        "secured": d.secured.amount,
        "received": d.received.amount,
        "pipeline": d.pipeline.amount,
        "at_risk": d.at_risk.amount,
        "missed_obligations": d.missed_obligations,
        "health": {state: bucket.count for state, bucket in d.health.items()},
        "health_value": {state: bucket.value.amount for state, bucket in d.health.items()},
        "overdue_by_kind": {labels[k]: n for k, n in d.overdue_by_kind.items()},
        "next30_by_kind": {labels[k]: n for k, n in d.next30_by_kind.items()},
        "engagements_by_month": list(d.engagements_by_month),
        "regions": [
            {
                "region": row["region"].name,
                "partners": row["partners"],
                "secured": row["secured"].amount,
                "received": row["received"].amount,
                "commitments": row["commitments"],
                "commitment_value": row["commitment_value"].amount,
            }
            for row in d.regions
        ],
        "partner_kinds": {
            row["kind"].value: (row["partners"], row["engagements"]) for row in d.partner_kinds
        },
    }


# --- Everything due ----------------------------------------------------------------------------

BANDS = (("1–30 days", 1, 30), ("31–60 days", 31, 60), ("over 60 days", 61, None))


def due(as_of: date) -> dict:
    """What `/due` shows (every open item, first page, aging bands), in hand-written SQL."""
    late = _days(":as_of", "t.due_on")
    band = (
        f"CASE WHEN {late} <= 30 THEN '1–30 days' WHEN {late} <= 60 THEN '31–60 days' "
        "ELSE 'over 60 days' END"
    )
    total = _rows(f"SELECT COUNT(*) FROM ({items_sql()}) t")[0][0]
    page = _rows(
        f"""SELECT t.due_on, {_days("t.due_on", ":as_of")} AS days_left, t.kind, t.title,
                   u.name AS owner, t.path
              FROM ({items_sql()}) t LEFT JOIN users u ON u.id = t.owner_id
             ORDER BY t.due_on, t.title LIMIT {PAGE_SIZE}""",
        as_of=as_of,
    )
    aging = defaultdict(Counter)
    for band_label, kind, count in _rows(
        f"""SELECT {band}, t.kind, COUNT(*) FROM ({items_sql()}) t
             WHERE t.due_on < :as_of GROUP BY {band}, t.kind""",
        as_of=as_of,
    ):
        aging[band_label][kind] += count
    return {
        "total": total,
        "page": [(str(_day(row.due_on)), row.days_left, row.kind) for row in page],
        "aging": {label: dict(aging[label]) for label, _low, _high in BANDS},
    }


def figures_due(as_of: date) -> dict:
    from tracker.reports import services

    query = services.due_query(as_of)
    rows = list(services.due_rows(query, as_of))
    labels = {kind.label: kind.value for kind in ItemKind}
    return {
        "total": len(rows),
        "page": [(str(r.item.due_on), r.days_left, r.item.kind) for r in rows[:PAGE_SIZE]],
        "aging": {
            label: {labels[k]: n for k, n in kinds.items()}
            for label, _count, kinds in services.aging(query, as_of)
        },
    }


# --- The incentives list: totals and first page -------------------------------------------------


def incentives(as_of: date) -> dict:
    """What `/incentives` shows with no filter: the portfolio totals and the first page."""
    rates = Rates()
    sums = defaultdict(dict)
    for currency, offered, awarded, received in _rows(
        "SELECT currency, SUM(amount_offered), SUM(amount_awarded), SUM(amount_received) "
        "FROM incentives GROUP BY currency"
    ):
        sums["offered"][currency] = offered
        sums["awarded"][currency] = awarded
        sums["received"][currency] = received
    exposure = dict(
        _rows(
            f"SELECT x.currency, SUM(x.exposure) FROM ({exposure_sql('i.status')}) x "
            "GROUP BY x.currency",
            as_of=as_of,
        )
    )
    page = _rows(
        f"""SELECT i.id, i.title, i.kind, i.status, p.name AS partner, r.name AS region,
                   i.currency, i.amount_offered, i.amount_awarded, i.application_deadline,
                   x.exposure
              FROM incentives i
              LEFT JOIN partners p ON p.id = i.granting_partner_id
              LEFT JOIN regions r ON r.id = i.region_id
              LEFT JOIN ({exposure_sql("i.status")}) x ON x.id = i.id
             ORDER BY i.application_deadline NULLS LAST, i.id LIMIT {PAGE_SIZE}""",
        as_of=as_of,
    )
    return {
        "offered": rates.total(sums["offered"], as_of)["amount"],
        "awarded": rates.total(sums["awarded"], as_of)["amount"],
        "received": rates.total(sums["received"], as_of)["amount"],
        "exposure": rates.total(exposure, as_of)["amount"],
        "page": [row.id for row in page],
    }


def figures_incentives(as_of: date) -> dict:
    from sqlalchemy import nulls_last

    from tracker.core.money import RateBook
    from tracker.incentives import services
    from tracker.incentives.models import Incentive

    query, _sortable = services.incentive_list_query(services.IncentiveFilters())
    totals = services.portfolio_totals(query, as_of, RateBook())
    first = db.session.scalars(
        query.order_by(nulls_last(Incentive.application_deadline.asc()), Incentive.id).limit(
            PAGE_SIZE
        )
    ).unique()
    return {
        "offered": totals.offered.amount,
        "awarded": totals.awarded.amount,
        "received": totals.received.amount,
        "exposure": totals.exposure.amount,
        "page": [incentive.id for incentive in first],
    }


# --- The monthly report ---------------------------------------------------------------------------


def _previous_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def monthly(today: date) -> dict:
    """What `/reports/monthly` shows for the previous month, in hand-written SQL."""
    first, last = _previous_month(today)
    as_of = min(last, today)
    rates = Rates()
    held = _rows(
        """SELECT e.id, e.occurred_on, e.kind, e.subject FROM engagements e
            WHERE e.occurred_on >= :first AND e.occurred_on <= :as_of
            ORDER BY e.occurred_on, e.id""",
        first=first,
        as_of=as_of,
    )
    engaged = _rows(
        """SELECT p.kind, COUNT(DISTINCT p.id) FROM partners p
             JOIN engagement_partners ep ON ep.partner_id = p.id
             JOIN engagements e ON e.id = ep.engagement_id
            WHERE e.occurred_on >= :first AND e.occurred_on <= :as_of
            GROUP BY p.kind""",
        first=first,
        as_of=as_of,
    )
    first_time = _rows(
        """SELECT COUNT(*) FROM (
             SELECT ep.partner_id, MIN(e.occurred_on) AS first_on FROM engagement_partners ep
               JOIN engagements e ON e.id = ep.engagement_id GROUP BY ep.partner_id) f
            WHERE f.first_on >= :first AND f.first_on <= :as_of""",
        first=first,
        as_of=as_of,
    )[0][0]
    moves = _rows(
        """SELECT c.changed_on, c.incentive_id, i.title, c.from_status, c.to_status, c.note,
                  i.currency, i.amount_awarded, p.name AS partner
             FROM incentive_status_changes c JOIN incentives i ON i.id = c.incentive_id
             LEFT JOIN partners p ON p.id = i.granting_partner_id
            WHERE c.changed_on >= :first AND c.changed_on <= :as_of
            ORDER BY c.changed_on, c.changed_at, c.id""",
        first=first,
        as_of=as_of,
    )
    awarded = defaultdict(Decimal)
    for move in moves:
        if move.to_status == S.AWARDED and move.amount_awarded is not None:
            awarded[move.currency] += _decimal(move.amount_awarded)
    done_by_end = "(m.status = 'done' AND m.completed_on IS NOT NULL AND m.completed_on <= :as_of)"
    milestones = _rows(
        f"""SELECT m.id, m.title, m.due_on, m.status, m.completed_on, c.title AS commitment,
                   CASE WHEN {done_by_end} AND m.completed_on >= :first THEN 1 ELSE 0 END AS met,
                   CASE WHEN m.due_on >= :first AND m.due_on <= :as_of
                         AND NOT (c.status = 'cancelled' AND NOT {done_by_end})
                        THEN 1 ELSE 0 END AS due,
                   CASE WHEN m.due_on >= :first AND m.due_on <= :as_of
                         AND NOT (c.status = 'cancelled' AND NOT {done_by_end})
                         AND NOT {done_by_end}
                         AND (m.status = 'missed' OR m.due_on <= :missed_by)
                        THEN 1 ELSE 0 END AS missed
              FROM milestones m JOIN commitments c ON c.id = m.commitment_id
             WHERE (m.completed_on >= :first AND m.completed_on <= :as_of)
                OR (m.due_on >= :first AND m.due_on <= :as_of)
             ORDER BY m.due_on, m.id""",
        first=first,
        as_of=as_of,
        missed_by=as_of if last < today else as_of - timedelta(days=1),
    )
    status_then = f"""CASE
        WHEN i.status NOT IN {AFTER_AWARD} THEN NULL
        WHEN EXISTS (SELECT 1 FROM incentive_status_changes c
                      WHERE c.incentive_id = i.id AND c.changed_on <= :as_of)
        THEN (SELECT c.to_status FROM incentive_status_changes c
               WHERE c.incentive_id = i.id AND c.changed_on <= :as_of
               ORDER BY c.changed_on DESC, c.changed_at DESC, c.id DESC LIMIT 1)
        WHEN EXISTS (SELECT 1 FROM incentive_status_changes c WHERE c.incentive_id = i.id)
        THEN NULL
        WHEN i.awarded_on IS NOT NULL AND i.awarded_on > :as_of THEN NULL
        ELSE i.status END"""
    held_count = _rows(
        f"SELECT COUNT(*) FROM incentives i WHERE ({status_then}) IN {AWARDED}", as_of=as_of
    )[0][0]
    exposures = _rows(
        "SELECT x.id, x.title, x.currency, x.exposure, x.missed "
        f"FROM ({exposure_sql(status_then)}) x",
        as_of=as_of,
    )
    exposure_sums = defaultdict(Decimal)
    for row in exposures:
        if row.exposure:
            exposure_sums[row.currency] += _decimal(row.exposure)
    top = sorted(
        (row for row in exposures if row.exposure),
        key=lambda row: (
            rates.rate(row.currency, as_of) is None,
            -(_decimal(row.exposure) * (rates.rate(row.currency, as_of) or 0)),
            row.title.lower(),
        ),
    )[:5]
    health_rows = _rows(
        "SELECT h.id, h.title, h.state, h.currency, h.value "
        f"FROM ({health_sql(as_of_view=True)}) h ORDER BY h.title",
        **_health_params(as_of),
    )
    buckets = _buckets(
        [(row.state, row.currency, 1, row.value) for row in health_rows], rates, as_of
    )
    next_first = last + timedelta(days=1)
    next_last = _first_of_month_back(next_first, -1) - timedelta(days=1)
    due_next = _rows(
        f"""SELECT t.due_on, t.kind, t.title, t.path FROM ({items_sql()}) t
             WHERE t.due_on >= :first AND t.due_on <= :last ORDER BY t.due_on, t.title""",
        first=next_first,
        last=next_last,
    )
    return {
        "engagements_held": len(held),
        "engagements_by_kind": dict(Counter(row.kind for row in held)),
        "partners_engaged": sum(count for _kind, count in engaged),
        "first_time_partners": first_time,
        "moves": len(moves),
        "incentives_moved": len({move.incentive_id for move in moves}),
        "awards": sum(1 for move in moves if move.to_status == S.AWARDED),
        "awarded_total": rates.total(awarded, as_of)["amount"],
        "milestones_met": sum(row.met for row in milestones),
        "milestones_due": sum(row.due for row in milestones),
        "milestones_missed": sum(row.missed for row in milestones),
        "incentives_held": held_count,
        "with_missed_obligation": sum(int(row.missed) for row in exposures),
        "exposure_total": rates.total(exposure_sums, as_of)["amount"],
        "exposures": sum(1 for row in exposures if row.exposure),
        "top_exposures": [row.id for row in top],
        "health": {state: bucket["count"] for state, bucket in buckets.items()},
        "health_value": {state: bucket["value"] for state, bucket in buckets.items()},
        "attention": sum(1 for row in health_rows if row.state in ("red", "amber")),
        "due_next": len(due_next),
        "due_next_by_kind": dict(Counter(row.kind for row in due_next)),
    }


def figures_monthly(today: date) -> dict:
    from tracker.reports import monthly as report_module

    month = report_module.Month.of(today).previous
    r = report_module.monthly_report(month, today)
    return {
        "engagements_held": r.engagements.held,
        "engagements_by_kind": dict(Counter(e.kind for e in r.engagements.engagements)),
        "partners_engaged": r.engagements.partners_engaged,
        "first_time_partners": r.engagements.first_time_partners,
        "moves": len(r.incentives.moves),
        "incentives_moved": r.incentives.incentives_moved,
        "awards": len(r.incentives.awards),
        "awarded_total": r.incentives.awarded_total.amount,
        "milestones_met": len(r.milestones.met),
        "milestones_due": r.milestones.due,
        "milestones_missed": len(r.milestones.missed),
        "incentives_held": r.exposure.incentives_held,
        "with_missed_obligation": r.exposure.with_missed_obligation,
        "exposure_total": r.exposure.total.amount,
        "exposures": len(r.exposure.rows),
        "top_exposures": [row.incentive.id for row in r.exposure.top],
        "health": {b.state: b.count for b in r.health.buckets},
        "health_value": {b.state: b.value.amount for b in r.health.buckets},
        "attention": len(r.health.attention),
        "due_next": len(r.due_next.items),
        "due_next_by_kind": dict(Counter(item.kind for item in r.due_next.items)),
    }


# --- Comparing ------------------------------------------------------------------------------------


def _close(a, b) -> bool:
    """Equal, with money allowed a cent per thousand units of rounding (floats on SQLite)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal | float) or isinstance(b, Decimal | float):
        try:
            x, y = _decimal(a), _decimal(b)
        except ArithmeticError:
            return False
        return abs(x - y) <= max(Decimal(1), abs(y) / 1000)
    return a == b


def differences(raw: dict, app: dict) -> list[str]:
    """Every figure where the hand-written SQL and the application disagree, in words."""
    found = []
    for key in sorted(app.keys() | raw.keys()):
        if key not in raw or key not in app:
            found.append(f"{key}: only in {'the app' if key in app else 'raw SQL'}")
        elif not _close(raw[key], app[key]):
            found.append(f"{key}: raw {_short(raw[key])} ≠ app {_short(app[key])}")
    return found


def _short(value) -> str:
    text_value = repr(value)
    return text_value if len(text_value) <= 160 else text_value[:157] + "…"
