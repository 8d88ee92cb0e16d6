"""Commitments the company makes to grow a cluster, one table for every kind.

Single-table inheritance: `Commitment.kind` is the discriminator, and the
columns of one kind are NULL on the others.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.readings import ReadingMixin
from tracker.core.readings import register as register_readings
from tracker.core.text import Searchable
from tracker.core.types import (
    Choice,
    CurrencyCode,
    Money,
    Quantity,
    TransportMode,
    currency_check,
    non_negative,
    one_of,
    utcnow,
)
from tracker.extensions import db
from tracker.partners.models import Partner, Region


class CommitmentKind(Choice):
    ANCHOR_VOLUME = "anchor_volume"
    CAPACITY_EXPANSION = "capacity_expansion"
    CO_LOCATION = "co_location"
    CO_INVESTMENT = "co_investment"
    TRAINING_PROGRAMME = "training_programme"


class CommitmentStatus(Choice):
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @classmethod
    def live(cls) -> tuple["CommitmentStatus", ...]:
        """Still running (or about to): what the worklists, reports and alerts count."""
        return (cls.PLANNED, cls.ACTIVE, cls.ON_HOLD)

    @classmethod
    def closed(cls) -> tuple["CommitmentStatus", ...]:
        """Finished: no health, only a grey badge."""
        return (cls.COMPLETED, cls.CANCELLED)


class VolumePeriod(Choice):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    TOTAL = "total"


class MilestoneStatus(Choice):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    MISSED = "missed"

    @classmethod
    def open(cls) -> tuple["MilestoneStatus", ...]:
        """Not done and not given up: what can still fall due (and become overdue)."""
        return (cls.PLANNED, cls.IN_PROGRESS)


# Limits the operations hold amounts and quantities to (`core.values.plain`), as the
# forms do: no negative money or volumes, quantities within Numeric(18, 4).
AT_LEAST_ZERO = {"min": 0}
QUANTITY = {"min": 0, "max": Decimal("1e13")}

# What a contribution without a partner stands for.
OUR_COMPANY = "Our company"

# Fields every commitment has, and the ones only its kind has (in form order).
COMMON_FIELDS = [
    "title",
    "status",
    "counterparty_id",
    "region_id",
    "owner_id",
    "start_on",
    "end_on",
    "currency",
    "value",
    "description",
]
KIND_FIELDS: dict[str, list[str]] = {
    CommitmentKind.ANCHOR_VOLUME: [
        "committed_volume",
        "volume_unit",
        "volume_period",
        "volume_taken",
        "annual_tonnage",
        "transport_mode",
        "replaced_country",
        "replaced_mode",
    ],
    CommitmentKind.CAPACITY_EXPANSION: ["target_capacity", "capacity_unit"],
    CommitmentKind.CO_LOCATION: ["site_name"],
    CommitmentKind.CO_INVESTMENT: ["budget", "spend_to_date"],
    CommitmentKind.TRAINING_PROGRAMME: [
        "cohorts",
        "target_participants",
        "enrolled_participants",
        "completed_participants",
        "obligation_id",
    ],
}
# What a commitment cannot be saved without, besides its title, counterparty, owner and
# currency (checked on their own): its term, and what its kind measures by.
REQUIRED_FIELDS: dict[str, list[str]] = {
    CommitmentKind.ANCHOR_VOLUME: ["committed_volume", "volume_unit"],
    CommitmentKind.CO_INVESTMENT: ["budget"],
    CommitmentKind.TRAINING_PROGRAMME: ["target_participants"],
}
REQUIRED_TERM = ["start_on", "end_on"]
# A co-investment's value is its budget: it is derived, never entered.
DERIVED_FIELDS: dict[str, list[str]] = {CommitmentKind.CO_INVESTMENT: ["value"]}


def fields_for(kind: str) -> list[str]:
    """The fields a commitment of `kind` is edited by, in form order (derived ones left out)."""
    derived = DERIVED_FIELDS.get(kind, [])
    common = [name for name in COMMON_FIELDS if name not in derived]
    return common[:-1] + KIND_FIELDS.get(kind, []) + common[-1:]


class Commitment(Searchable, db.Model):
    __tablename__ = "commitments"
    # The list also finds a commitment by its counterparty's name (`Partner.name_key`).
    __searched__ = ("title", "description")
    __table_args__ = (
        one_of("kind", CommitmentKind.values()),
        one_of("status", CommitmentStatus.values()),
        one_of("volume_period", VolumePeriod.values()),
        currency_check("currency"),
        non_negative("value"),
        non_negative("committed_volume"),
        non_negative("volume_taken"),
        non_negative("annual_tonnage"),
        one_of("transport_mode", TransportMode.values()),
        one_of("replaced_mode", TransportMode.values()),
        CheckConstraint(
            "replaced_country IS NULL OR length(replaced_country) = 2",
            name="replaced_country_iso3166",
        ),
        non_negative("target_capacity"),
        non_negative("budget"),
        non_negative("spend_to_date"),
        non_negative("cohorts"),
        non_negative("target_participants"),
        non_negative("enrolled_participants"),
        non_negative("completed_participants"),
        CheckConstraint(
            "end_on IS NULL OR start_on IS NULL OR end_on >= start_on", name="period_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    kind: Mapped[str] = mapped_column(String(24), index=True, info={"choices": CommitmentKind})
    title: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(
        String(16), index=True, default=CommitmentStatus.PLANNED, info={"choices": CommitmentStatus}
    )
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), index=True, info={"label": "Programme owner"}
    )
    description: Mapped[str | None] = mapped_column(
        Text, info={"label": "Notes", "max_length": 10000}
    )
    currency: Mapped[CurrencyCode]
    value: Mapped[Money | None] = mapped_column(info=AT_LEAST_ZERO)
    start_on: Mapped[date | None] = mapped_column(Date, index=True, info={"label": "Start"})
    end_on: Mapped[date | None] = mapped_column(Date, index=True, info={"label": "End"})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    counterparty: Mapped[Partner] = relationship()
    region: Mapped[Region | None] = relationship()
    owner: Mapped[User] = relationship()
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        order_by="(Milestone.position, Milestone.due_on, Milestone.id)",
    )
    readings: Mapped[list["CommitmentReading"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="CommitmentReading.as_of"
    )

    # One table for every kind: load every kind's columns up front, never one query per row.
    __mapper_args__ = {
        "polymorphic_on": "kind",
        "with_polymorphic": "*",
        "version_id_col": version,
    }

    @property
    def kind_label(self) -> str:
        return CommitmentKind(self.kind).label

    def __str__(self) -> str:
        return self.title


class AnchorVolumeCommitment(Commitment):
    """Volume promised to a Tier-1 supplier per period, and what has been taken."""

    committed_volume: Mapped[Quantity | None] = mapped_column(
        use_existing_column=True, info=QUANTITY
    )
    volume_unit: Mapped[str | None] = mapped_column(String(30), use_existing_column=True)
    volume_period: Mapped[str | None] = mapped_column(
        String(8), use_existing_column=True, info={"label": "Per", "choices": VolumePeriod}
    )
    volume_taken: Mapped[Quantity | None] = mapped_column(use_existing_column=True, info=QUANTITY)
    # The route the volume travels, for the logistics emission estimates (`tracker.clusters`).
    annual_tonnage: Mapped[Quantity | None] = mapped_column(
        use_existing_column=True, info={**QUANTITY, "label": "Tonnes a year"}
    )
    transport_mode: Mapped[str | None] = mapped_column(
        String(8),
        use_existing_column=True,
        info={"label": "Transport mode", "choices": TransportMode},
    )
    replaced_country: Mapped[str | None] = mapped_column(
        String(2), use_existing_column=True, info={"label": "Replaced supply from"}
    )
    replaced_mode: Mapped[str | None] = mapped_column(
        String(8),
        use_existing_column=True,
        info={"label": "Replaced route's mode", "choices": TransportMode},
    )

    __mapper_args__ = {"polymorphic_identity": CommitmentKind.ANCHOR_VOLUME.value}


class CapacityExpansionCommitment(Commitment):
    """Support for a supplier adding capacity in a priority region."""

    target_capacity: Mapped[Quantity | None] = mapped_column(
        use_existing_column=True, info=QUANTITY
    )
    capacity_unit: Mapped[str | None] = mapped_column(String(30), use_existing_column=True)

    __mapper_args__ = {"polymorphic_identity": CommitmentKind.CAPACITY_EXPANSION.value}


class CoLocationCommitment(Commitment):
    site_name: Mapped[str | None] = mapped_column(
        String(200), use_existing_column=True, info={"label": "Site"}
    )

    __mapper_args__ = {"polymorphic_identity": CommitmentKind.CO_LOCATION.value}


class CoInvestment(Commitment):
    """A shared cost: joint facility, development, innovation programme."""

    budget: Mapped[Money | None] = mapped_column(
        use_existing_column=True, info={"label": "Budget", **AT_LEAST_ZERO}
    )
    spend_to_date: Mapped[Money | None] = mapped_column(
        use_existing_column=True, info=AT_LEAST_ZERO
    )

    contributions: Mapped[list["Contribution"]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="Contribution.id"
    )

    __mapper_args__ = {"polymorphic_identity": CommitmentKind.CO_INVESTMENT.value}


class TrainingProgramme(Commitment):
    """Run with an education partner (the counterparty), in cohorts."""

    cohorts: Mapped[int | None] = mapped_column(Integer, use_existing_column=True)
    target_participants: Mapped[int | None] = mapped_column(Integer, use_existing_column=True)
    enrolled_participants: Mapped[int | None] = mapped_column(Integer, use_existing_column=True)
    completed_participants: Mapped[int | None] = mapped_column(Integer, use_existing_column=True)
    # The incentive obligation (e.g. training hours) this programme counts towards.
    obligation_id: Mapped[int | None] = mapped_column(
        ForeignKey("obligations.id", ondelete="SET NULL"),
        index=True,
        use_existing_column=True,
        info={"label": "Counts towards"},
    )

    __mapper_args__ = {"polymorphic_identity": CommitmentKind.TRAINING_PROGRAMME.value}


COMMITMENT_CLASSES: dict[str, type[Commitment]] = {
    mapper.polymorphic_identity: mapper.class_
    for mapper in Commitment.__mapper__.self_and_descendants
    if mapper.polymorphic_identity
}


class Contribution(db.Model):
    """One party's share of a co-investment; `partner_id` NULL means the company itself."""

    __tablename__ = "contributions"
    __table_args__ = (
        currency_check("currency"),
        non_negative("amount"),
        non_negative("paid_to_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id"), index=True, info={"label": "Party"}
    )
    amount: Mapped[Money] = mapped_column(info=AT_LEAST_ZERO)
    currency: Mapped[CurrencyCode]
    paid_to_date: Mapped[Money] = mapped_column(
        default=0, info={"label": "Paid so far", **AT_LEAST_ZERO}
    )

    commitment: Mapped[CoInvestment] = relationship(back_populates="contributions")
    partner: Mapped[Partner | None] = relationship()

    @property
    def party_name(self) -> str:
        return self.partner.name if self.partner else OUR_COMPANY

    def __str__(self) -> str:
        return f"contribution of {self.party_name}"


class Milestone(db.Model):
    __tablename__ = "milestones"
    __table_args__ = (
        one_of("status", MilestoneStatus.values()),
        CheckConstraint("completed_on IS NULL OR status = 'done'", name="completed_only_when_done"),
        # A commitment's milestones by status and due date: its next open milestone is one seek.
        Index("ix_milestones_commitment_status_due", "commitment_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), info={"label": "Milestone"})
    due_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Due"})
    status: Mapped[str] = mapped_column(
        String(16), default=MilestoneStatus.PLANNED, index=True, info={"choices": MilestoneStatus}
    )
    completed_on: Mapped[date | None] = mapped_column(Date, index=True)
    evidence_note: Mapped[str | None] = mapped_column(
        Text, info={"label": "Evidence", "max_length": 5000}
    )
    # Its place in the commitment's list, from 0 (ties fall back to the due date).
    position: Mapped[int] = mapped_column(Integer, default=0, info={"label": "Place in the list"})

    commitment: Mapped[Commitment] = relationship(back_populates="milestones")

    def __str__(self) -> str:
        return self.title


# The figures of a commitment that move, kept as dated readings (`core.readings`) so a
# report of a past day reads the figures of that day. Spend is money; completions a count.
MEASURES = ("volume_taken", "spend_to_date", "completed_participants")
MONEY_MEASURES = ("spend_to_date",)
COUNTED = ("completed_participants",)


def measure_value(name: str, value):
    """A reading's figure as the commitment's column holds it (a count as an int)."""
    return int(value) if name in COUNTED and value is not None else value


class CommitmentReading(ReadingMixin, db.Model):
    """A commitment's volume taken, spend or completions as they stood on a day
    (`core.readings`)."""

    __tablename__ = "commitment_readings"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )


register_readings("commitments", CommitmentReading, "commitment_id")
