"""Cluster intelligence: the capabilities a cluster needs, who provides them, who buys what
from whom (the supplier tiers), and the weights of the regional scorecard.

A sector's required set says what a cluster of it needs to run without fragmenting across
borders; a capability's inputs say what its providers buy in turn, which is what a
supplier's onboarding checklist asks it to declare.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from tracker.auth.models import User
from tracker.commitments.models import QUANTITY
from tracker.core.text import NameKeyed
from tracker.core.types import Choice, Quantity, TransportMode, non_negative, one_of, utcnow
from tracker.extensions import db
from tracker.partners.models import Partner, Sector


class CapabilityKind(Choice):
    """What sort of node a capability makes of its provider; logistics and testing are the
    scorecard's nodes."""

    PRODUCTION = "production"
    PROCESS = "process"  # heat and surface treatment, etching …
    TOOLING = "tooling"
    LOGISTICS = "logistics"
    TESTING = "testing"
    TRAINING = "training"
    SERVICE = "service"  # customs brokerage, engineering …


NODE_KINDS = (CapabilityKind.LOGISTICS, CapabilityKind.TESTING)

sector_capabilities = Table(
    "sector_capabilities",
    db.metadata,
    Column("sector_id", ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True),
    Column("capability_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_sector_capabilities_capability_id", "capability_id"),
)

capability_inputs = Table(
    "capability_inputs",
    db.metadata,
    Column("capability_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
    Column("input_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_capability_inputs_input_id", "input_id"),
)


class Capability(NameKeyed, db.Model):
    """A supply capability of the catalogue admins keep: cell manufacturing, mold-making,
    a testing lab, a logistics hub …"""

    __tablename__ = "capabilities"
    __table_args__ = (UniqueConstraint("name_key"), one_of("kind", CapabilityKind.values()))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), info={"choices": CapabilityKind})
    description: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # What a provider of this capability buys in turn: its onboarding checklist's questions.
    inputs: Mapped[list["Capability"]] = relationship(
        secondary=capability_inputs,
        primaryjoin="Capability.id == capability_inputs.c.capability_id",
        secondaryjoin="Capability.id == capability_inputs.c.input_id",
        order_by="Capability.name",
        info={"label": "Inputs"},
    )
    # A sector's required set; `Sector.capabilities` from the other side (partners, where
    # sectors live, know nothing of capabilities).
    sectors: Mapped[list[Sector]] = relationship(
        secondary=sector_capabilities,
        order_by="Sector.name",
        info={"label": "Required by"},
        backref=backref(
            "capabilities", order_by="Capability.name", info={"label": "Required capabilities"}
        ),
    )

    @property
    def kind_label(self) -> str:
        return CapabilityKind(self.kind).label

    @property
    def is_node(self) -> bool:
        return self.kind in NODE_KINDS

    def __str__(self) -> str:
        return self.name


class PartnerCapability(db.Model):
    """A capability a partner provides, and how much of it."""

    __tablename__ = "partner_capabilities"
    __table_args__ = (
        UniqueConstraint("partner_id", "capability_id"),
        non_negative("capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    capability_id: Mapped[int] = mapped_column(
        ForeignKey("capabilities.id"), index=True, info={"label": "Capability"}
    )
    capacity: Mapped[Quantity | None] = mapped_column(info=QUANTITY)
    capacity_unit: Mapped[str | None] = mapped_column(String(40), info={"label": "Unit"})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    partner: Mapped[Partner] = relationship()
    capability: Mapped[Capability] = relationship()

    def __str__(self) -> str:
        return f"{self.capability.name} at {self.partner.name}"


class SupplyLink(db.Model):
    """One tier of the supply chain: `buyer` buys `capability` from `supplier`, delivered to
    `site`, with the yearly tonnage and mode the route estimates weigh."""

    __tablename__ = "supply_links"
    __table_args__ = (
        UniqueConstraint("buyer_id", "supplier_id", "capability_id"),
        CheckConstraint("buyer_id <> supplier_id", name="not_itself"),
        non_negative("annual_tonnage"),
        one_of("transport_mode", TransportMode.values()),
        one_of("replaced_mode", TransportMode.values()),
        CheckConstraint(
            "replaced_country IS NULL OR length(replaced_country) = 2",
            name="replaced_country_iso3166",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True, info={"label": "Buyer"}
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True, info={"label": "Supplier"}
    )
    capability_id: Mapped[int] = mapped_column(
        ForeignKey("capabilities.id"), index=True, info={"label": "Capability"}
    )
    site: Mapped[str | None] = mapped_column(String(200), info={"label": "Delivered to (site)"})
    annual_tonnage: Mapped[Quantity | None] = mapped_column(
        info={**QUANTITY, "label": "Tonnes a year"}
    )
    transport_mode: Mapped[str | None] = mapped_column(
        String(8), info={"label": "Transport mode", "choices": TransportMode}
    )
    # Where this supply came from before it was nearshored (an ISO country code), for the
    # emission saving.
    replaced_country: Mapped[str | None] = mapped_column(
        String(2), info={"label": "Replaced supply from"}
    )
    replaced_mode: Mapped[str | None] = mapped_column(
        String(8), info={"label": "Replaced route's mode", "choices": TransportMode}
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    buyer: Mapped[Partner] = relationship(foreign_keys=[buyer_id])
    supplier: Mapped[Partner] = relationship(foreign_keys=[supplier_id])
    capability: Mapped[Capability] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.buyer.name} buys {self.capability.name} from {self.supplier.name}"


class ScoreWeight(db.Model):
    """How much one measure of the regional scorecard counts in the overall score, in
    percent; the weights add up to 100 (`tracker.clusters.operations.set_weights`)."""

    __tablename__ = "score_weights"
    __table_args__ = (CheckConstraint("weight >= 0 AND weight <= 100", name="weight_percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), unique=True)
    weight: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
