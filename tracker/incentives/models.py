"""Incentives offered by public bodies, what they oblige us to, and what they promise back."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.readings import ReadingMixin
from tracker.core.readings import register as register_readings
from tracker.core.text import Searchable
from tracker.core.types import (
    Choice,
    CurrencyCode,
    FiniteNumeric,
    Money,
    Quantity,
    currency_check,
    non_negative,
    one_of,
    utcnow,
)
from tracker.extensions import db
from tracker.partners.models import Partner, Region


class IncentiveKind(Choice):
    GRANT = "grant"
    TAX_CREDIT = "tax_credit"
    TAX_ABATEMENT = "tax_abatement"
    LAND = "land"
    INFRASTRUCTURE = "infrastructure"
    TRAINING_SUBSIDY = "training_subsidy"
    LOAN = "loan"
    GUARANTEE = "guarantee"
    REGULATORY_FAST_TRACK = "regulatory_fast_track"
    OTHER = "other"


class IncentiveStatus(Choice):
    IDENTIFIED = "identified"
    PREPARING = "preparing"
    SUBMITTED = "submitted"
    AWARDED = "awarded"
    IN_COMPLIANCE = "in_compliance"
    CLOSED = "closed"
    REJECTED = "rejected"
    CLAWED_BACK = "clawed_back"
    # The award was withdrawn or renounced before it was used: nothing held, nothing repaid
    # (clawed back is an award taken back for obligations not met).
    WITHDRAWN = "withdrawn"

    # The status sets every page and report counts by, defined once here.

    @classmethod
    def pipeline(cls) -> tuple["IncentiveStatus", ...]:
        """Not yet decided: applying or waiting for the decision."""
        return (cls.IDENTIFIED, cls.PREPARING, cls.SUBMITTED)

    @classmethod
    def awarded(cls) -> tuple["IncentiveStatus", ...]:
        """An award is held (and may still have to be returned)."""
        return (cls.AWARDED, cls.IN_COMPLIANCE)

    @classmethod
    def secured(cls) -> tuple["IncentiveStatus", ...]:
        """Won: an award is held or was held to its end."""
        return (*cls.awarded(), cls.CLOSED)

    @classmethod
    def open(cls) -> tuple["IncentiveStatus", ...]:
        """Still in the pipeline or held: what has dates to watch."""
        return (*cls.pipeline(), *cls.awarded())


class ClawbackRule(Choice):
    """The shapes of repayment real agreements use (worked in `incentives.clawback`)."""

    NONE = "none"
    PRO_RATA = "pro_rata"  # the basis × the largest shortfall among the obligations
    PROPORTIONAL = "proportional"  # each obligation prorated apart, weighted
    CLIFF = "cliff"  # below the floor, repay all of it
    SCHEDULE = "schedule"  # below the floor, the share the year held gives
    PENALTY = "penalty"  # a sum per unit short, capped


class ClawbackInterest(Choice):
    NONE = "none"
    SIMPLE = "simple"
    COMPOUND = "compound"  # Reg. 794/2004 Art. 11: yearly, on interest already accrued


class ObligationKind(Choice):
    JOBS = "jobs"
    CAPEX = "capex"
    WAGES = "wages"
    LOCAL_CONTENT = "local_content"
    TRAINING_HOURS = "training_hours"
    OTHER = "other"


class PromiseKind(Choice):
    PERMIT_FAST_TRACK = "permit_fast_track"
    INFRASTRUCTURE = "infrastructure"
    DISBURSEMENT = "disbursement"
    TRAINING_FUNDS = "training_funds"
    OTHER = "other"


class PromiseStatus(Choice):
    PENDING = "pending"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @classmethod
    def open(cls) -> tuple["PromiseStatus", ...]:
        """Still owed by the agency."""
        return (cls.PENDING,)


class Incentive(Searchable, db.Model):
    __tablename__ = "incentives"
    __searched__ = ("title", "description", "aid_scheme_number")
    __table_args__ = (
        one_of("kind", IncentiveKind.values()),
        one_of("status", IncentiveStatus.values()),
        one_of("clawback_rule", ClawbackRule.values()),
        one_of("clawback_interest", ClawbackInterest.values()),
        non_negative("clawback_cap"),
        currency_check("currency"),
        non_negative("amount_offered"),
        non_negative("amount_awarded"),
        non_negative("amount_received"),
        non_negative("gross_grant_equivalent"),
        non_negative("eligible_cost"),
        CheckConstraint(
            "aid_intensity_pct IS NULL OR (aid_intensity_pct >= 0 AND aid_intensity_pct <= 100)",
            name="aid_intensity_pct_range",
        ),
        non_negative("clawback_interest_pct"),
        CheckConstraint(
            "clawback_floor_pct IS NULL OR (clawback_floor_pct >= 0 AND clawback_floor_pct <= 100)",
            name="clawback_floor_pct_range",
        ),
        CheckConstraint(
            "term_end_on IS NULL OR term_start_on IS NULL OR term_end_on >= term_start_on",
            name="term_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    title: Mapped[str] = mapped_column(String(500), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True, info={"choices": IncentiveKind})
    status: Mapped[str] = mapped_column(
        String(16),
        index=True,
        default=IncentiveStatus.IDENTIFIED,
        info={"choices": IncentiveStatus},
    )
    granting_partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id"), index=True, info={"label": "Granted by"}
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str | None] = mapped_column(
        Text, info={"label": "Notes", "max_length": 20000}
    )

    currency: Mapped[CurrencyCode] = mapped_column(index=True)
    amount_offered: Mapped[Money | None]
    amount_awarded: Mapped[Money | None]
    amount_received: Mapped[Money | None]

    application_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    decision_expected_on: Mapped[date | None] = mapped_column(
        Date, index=True, info={"label": "Decision expected"}
    )
    awarded_on: Mapped[date | None] = mapped_column(Date)
    term_start_on: Mapped[date | None] = mapped_column(Date, info={"label": "Term starts"})
    term_end_on: Mapped[date | None] = mapped_column(Date, index=True, info={"label": "Term ends"})

    clawback_terms: Mapped[str | None] = mapped_column(Text, info={"max_length": 20000})
    clawback_rule: Mapped[str] = mapped_column(
        String(16), default=ClawbackRule.NONE, info={"choices": ClawbackRule}
    )
    clawback_floor_pct: Mapped[Decimal | None] = mapped_column(
        FiniteNumeric(5, 2), info={"label": "Cliff floor (% of target)"}
    )
    clawback_interest: Mapped[str] = mapped_column(
        String(16),
        default=ClawbackInterest.NONE,
        server_default=ClawbackInterest.NONE,
        info={"choices": ClawbackInterest, "label": "Interest on repayment"},
    )
    clawback_interest_pct: Mapped[Decimal | None] = mapped_column(
        FiniteNumeric(6, 3), info={"label": "Fixed interest rate (% a year)"}
    )
    # Or the yearly rates an admin keeps in the rate table under this name.
    clawback_rate_series: Mapped[str | None] = mapped_column(
        String(60), info={"label": "Interest rate table"}
    )
    # Percentages recaptured in year 1, 2, … held ("100, 80, 60, 40, 20").
    clawback_schedule: Mapped[str | None] = mapped_column(
        String(200), info={"label": "Recapture schedule (% by year held)"}
    )
    clawback_cap: Mapped[Money | None] = mapped_column(info={"label": "Penalty cap"})

    # EU state aid
    is_state_aid: Mapped[bool] = mapped_column(
        Boolean, default=False, info={"label": "EU state aid"}
    )
    aid_scheme_number: Mapped[str | None] = mapped_column(String(20))
    aid_type: Mapped[str | None] = mapped_column(String(60), info={"label": "Aid instrument"})
    aid_objective: Mapped[str | None] = mapped_column(String(100), info={"label": "Objective"})
    # Who receives the aid in the group, as the register names it, and the register's keys.
    beneficiary: Mapped[str | None] = mapped_column(String(200))
    beneficiary_national_id: Mapped[str | None] = mapped_column(
        String(40), info={"label": "Beneficiary's national ID"}
    )
    project_number: Mapped[str | None] = mapped_column(
        String(60), info={"label": "Project or contract number"}
    )
    eligible_cost: Mapped[Money | None] = mapped_column(info={"label": "Total eligible cost"})
    aid_intensity_pct: Mapped[Decimal | None] = mapped_column(
        FiniteNumeric(5, 2), info={"label": "Aid intensity (%)"}
    )
    nace_code: Mapped[str | None] = mapped_column(String(10), info={"label": "NACE sector code"})
    aid_granted_on: Mapped[date | None] = mapped_column(Date, index=True)
    is_de_minimis: Mapped[bool] = mapped_column(
        Boolean, default=False, index=True, info={"label": "De minimis aid"}
    )
    # The aid a loan or guarantee holds (its gross grant equivalent), in the incentive's
    # currency: what de minimis counts instead of the nominal amount.
    gross_grant_equivalent: Mapped[Money | None] = mapped_column(
        info={"label": "Gross grant equivalent"}
    )

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    granting_partner: Mapped[Partner] = relationship()
    region: Mapped[Region | None] = relationship()
    owner: Mapped[User | None] = relationship()
    obligations: Mapped[list["Obligation"]] = relationship(
        back_populates="incentive",
        cascade="all, delete-orphan",
        order_by="(Obligation.due_on, Obligation.id)",
    )
    compliance_reports: Mapped[list["ComplianceReport"]] = relationship(
        back_populates="incentive",
        cascade="all, delete-orphan",
        order_by="(ComplianceReport.due_on, ComplianceReport.id)",
    )
    promises: Mapped[list["AgencyPromise"]] = relationship(
        back_populates="incentive",
        cascade="all, delete-orphan",
        order_by="(AgencyPromise.due_on, AgencyPromise.id)",
    )
    disbursements: Mapped[list["Disbursement"]] = relationship(
        back_populates="incentive",
        cascade="all, delete-orphan",
        order_by="(Disbursement.paid_on, Disbursement.id)",
    )
    status_changes: Mapped[list["IncentiveStatusChange"]] = relationship(
        back_populates="incentive",
        cascade="all, delete-orphan",
        order_by="(IncentiveStatusChange.changed_at, IncentiveStatusChange.id)",
    )

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return IncentiveStatus(self.status).label


class IncentiveStatusChange(db.Model):
    """One dated step through the pipeline: the incentive's history."""

    __tablename__ = "incentive_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incentive_id: Mapped[int] = mapped_column(
        ForeignKey("incentives.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})

    incentive: Mapped[Incentive] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()


class Obligation(db.Model):
    """What the award obliges the company to achieve, by a date."""

    __tablename__ = "obligations"
    __table_args__ = (
        one_of("kind", ObligationKind.values()),
        non_negative("target_value"),
        non_negative("actual_value"),
        non_negative("clawback_weight"),
        non_negative("penalty_per_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    incentive_id: Mapped[int] = mapped_column(
        ForeignKey("incentives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), index=True, info={"choices": ObligationKind})
    description: Mapped[str | None] = mapped_column(String(300))
    target_value: Mapped[Quantity] = mapped_column(info={"label": "Target"})
    unit: Mapped[str] = mapped_column(String(30))
    actual_value: Mapped[Quantity | None] = mapped_column(info={"label": "Actual"})
    actual_as_of: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Due"})
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # How the clawback terms weigh this obligation (proportional), and what each unit short
    # costs (penalty), in the incentive's currency.
    clawback_weight: Mapped[Decimal | None] = mapped_column(
        FiniteNumeric(9, 4), info={"label": "Weight in the clawback"}
    )
    penalty_per_unit: Mapped[Money | None] = mapped_column(info={"label": "Penalty per unit short"})

    incentive: Mapped[Incentive] = relationship(back_populates="obligations")
    owner: Mapped[User | None] = relationship()
    readings: Mapped[list["ObligationReading"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ObligationReading.as_of"
    )

    def __str__(self) -> str:
        return self.description or ObligationKind(self.kind).label


class ComplianceReport(db.Model):
    __tablename__ = "compliance_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    incentive_id: Mapped[int] = mapped_column(
        ForeignKey("incentives.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Due"})
    submitted_on: Mapped[date | None] = mapped_column(Date, index=True)
    note: Mapped[str | None] = mapped_column(Text, info={"max_length": 5000})

    incentive: Mapped[Incentive] = relationship(back_populates="compliance_reports")

    def __str__(self) -> str:
        return self.title


class AgencyPromise(db.Model):
    """What the public side promised in return: watched like our own obligations."""

    __tablename__ = "agency_promises"
    __table_args__ = (
        one_of("kind", PromiseKind.values()),
        one_of("status", PromiseStatus.values()),
        non_negative("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    incentive_id: Mapped[int] = mapped_column(
        ForeignKey("incentives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24), info={"choices": PromiseKind})
    description: Mapped[str] = mapped_column(String(300), info={"label": "What was promised"})
    due_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Due"})
    status: Mapped[str] = mapped_column(
        String(16), default=PromiseStatus.PENDING, index=True, info={"choices": PromiseStatus}
    )
    delivered_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Money | None]  # disbursements and training funds carry money
    note: Mapped[str | None] = mapped_column(Text, info={"max_length": 5000})

    incentive: Mapped[Incentive] = relationship(back_populates="promises")

    def __str__(self) -> str:
        return self.description

    @property
    def currency(self) -> str | None:
        """The incentive's currency, in which `amount` is given."""
        return self.incentive.currency if self.incentive is not None else None


class Disbursement(db.Model):
    """Money the agency put at our disposal on a day: a tranche of the award. Their sum is
    the incentive's amount received, and clawback interest runs from each."""

    __tablename__ = "disbursements"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incentive_id: Mapped[int] = mapped_column(
        ForeignKey("incentives.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[date] = mapped_column(Date, info={"label": "Received on"})
    amount: Mapped[Money]
    # The expected tranche (an agency promise of a disbursement) this one delivers.
    promise_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_promises.id", ondelete="SET NULL"),
        index=True,
        info={"label": "Delivers the promised tranche"},
    )
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    incentive: Mapped[Incentive] = relationship(back_populates="disbursements")
    promise: Mapped[AgencyPromise | None] = relationship()

    def __str__(self) -> str:
        return f"{self.paid_on.isoformat()} tranche"

    @property
    def currency(self) -> str | None:
        return self.incentive.currency if self.incentive is not None else None


class InterestRate(db.Model):
    """A yearly interest rate in force from a day, in a named table an admin keeps (the
    Commission's recovery rate for a Member State, a statutory rate): what clawback interest
    reads when an incentive's terms name the table."""

    __tablename__ = "interest_rates"
    __table_args__ = (
        UniqueConstraint("series", "effective_on", name="uq_interest_rates_series_day"),
        CheckConstraint("rate_pct >= -100 AND rate_pct <= 100", name="rate_pct_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(60), info={"label": "Rate table"})
    effective_on: Mapped[date] = mapped_column(Date, info={"label": "In force from"})
    rate_pct: Mapped[Decimal] = mapped_column(
        FiniteNumeric(6, 3), info={"label": "Rate (% a year)"}
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ObligationReading(ReadingMixin, db.Model):
    """An obligation's actual as it stood on a day (`core.readings`)."""

    __tablename__ = "obligation_readings"

    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("obligations.id", ondelete="CASCADE"), index=True
    )


register_readings("obligations", ObligationReading, "obligation_id")
