"""Regions, partners and the relationship log: contacts, engagements, follow-ups."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.text import NameKeyed, Searchable
from tracker.core.types import Choice, one_of, utcnow
from tracker.extensions import db


class PartnerKind(Choice):
    ECONOMIC_AGENCY = "economic_agency"
    CLUSTER_ALLIANCE = "cluster_alliance"
    TRADE_COUNCIL = "trade_council"
    GOVERNMENT_BODY = "government_body"
    EDUCATION_PROVIDER = "education_provider"
    TIER1_SUPPLIER = "tier1_supplier"
    TIER2_SUPPLIER = "tier2_supplier"
    LOGISTICS_PROVIDER = "logistics_provider"
    TESTING_CERTIFICATION = "testing_certification"
    OTHER = "other"


class PartnerStatus(Choice):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    ARCHIVED = "archived"


class EngagementKind(Choice):
    MEETING = "meeting"
    CALL = "call"
    SITE_VISIT = "site_visit"
    WORKSHOP = "workshop"
    MOU_SIGNING = "mou_signing"
    EVENT = "event"


# Where a site is, in decimal degrees (WGS 84): what the cluster map draws and the route
# estimates measure from.
LATITUDE = {"label": "Latitude", "min": -90, "max": 90}
LONGITUDE = {"label": "Longitude", "min": -180, "max": 180}


class Sector(NameKeyed, db.Model):
    """An industry a cluster serves (EV batteries, automotive electronics …): kept by admins,
    with the capabilities a cluster of it needs (`tracker.clusters`)."""

    __tablename__ = "sectors"
    __table_args__ = (UniqueConstraint("name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text, info={"max_length": 2000})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __str__(self) -> str:
        return self.name


class Region(NameKeyed, db.Model):
    __tablename__ = "regions"
    __table_args__ = (
        # One region of a name per country, in any case, with or without accents.
        UniqueConstraint("name_key", "country_code"),
        CheckConstraint("length(country_code) = 2", name="country_code_iso3166"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(120), index=True)
    country_code: Mapped[str] = mapped_column(String(2), index=True, info={"label": "Country"})
    sector_focus: Mapped[str | None] = mapped_column(String(200))
    # The sector its cluster is scored against (`tracker.clusters`).
    sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id"), index=True, info={"label": "Sector"}
    )
    # The cluster's centre: where the map draws it, and a site with no place of its own.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 5), info=LATITUDE)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 5), info=LONGITUDE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    partners: Mapped[list["Partner"]] = relationship(back_populates="region")
    sector: Mapped[Sector | None] = relationship()

    def __str__(self) -> str:
        return f"{self.name} ({self.country_code})"


class Partner(NameKeyed, Searchable, db.Model):
    __tablename__ = "partners"
    __searched__ = ("name", "description", "website")
    __table_args__ = (
        # The natural key imports match on: the name in any case, with or without accents.
        UniqueConstraint("name_key", "country_code"),
        one_of("kind", PartnerKind.values()),
        one_of("status", PartnerStatus.values()),
        CheckConstraint("cadence_days IS NULL OR cadence_days > 0", name="cadence_positive"),
        CheckConstraint("length(country_code) = 2", name="country_code_iso3166"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True, info={"choices": PartnerKind})
    status: Mapped[str] = mapped_column(
        String(16), index=True, default=PartnerStatus.ACTIVE, info={"choices": PartnerStatus}
    )
    country_code: Mapped[str] = mapped_column(String(2), index=True, info={"label": "Country"})
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, info={"label": "Relationship owner"}
    )
    website: Mapped[str | None] = mapped_column(String(300), info={"format": "url"})
    description: Mapped[str | None] = mapped_column(
        Text, info={"label": "Notes", "max_length": 5000}
    )
    # Target days between engagements; NULL means the default for the kind.
    cadence_days: Mapped[int | None] = mapped_column(
        Integer, info={"label": "Engagement cadence (days)", "min": 1, "max": 730}
    )
    next_engagement_on: Mapped[date | None] = mapped_column(
        Date, index=True, info={"label": "Next planned engagement"}
    )
    # Its site, when it is not its region's centre (a supplier abroad has no region).
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 5), info=LATITUDE)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 5), info=LONGITUDE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    region: Mapped[Region | None] = relationship(back_populates="partners")
    owner: Mapped[User | None] = relationship()
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="Contact.name"
    )

    @property
    def kind_label(self) -> str:
        return PartnerKind(self.kind).label

    def __str__(self) -> str:
        return self.name


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120), index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(
        String(254), info={"label": "E-mail", "format": "email"}
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text, info={"max_length": 5000})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return self.name


engagement_partners = Table(
    "engagement_partners",
    db.metadata,
    Column("engagement_id", ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partners.id"), primary_key=True),
    Index("ix_engagement_partners_partner_id", "partner_id"),
)

engagement_attendees = Table(
    "engagement_attendees",
    db.metadata,
    Column("engagement_id", ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Index("ix_engagement_attendees_user_id", "user_id"),
)


class Engagement(Searchable, db.Model):
    __tablename__ = "engagements"
    __searched__ = ("subject", "summary", "outcome")
    __table_args__ = (one_of("kind", EngagementKind.values()),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    kind: Mapped[str] = mapped_column(String(16), index=True, info={"choices": EngagementKind})
    occurred_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Date"})
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text, info={"max_length": 20000})
    outcome: Mapped[str | None] = mapped_column(Text, info={"max_length": 20000})
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, info={"label": "Logged by"}
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    partners: Mapped[list[Partner]] = relationship(
        secondary=engagement_partners,
        order_by="(Partner.name, Partner.id)",
        info={"label": "Partners"},
    )
    attendees: Mapped[list[User]] = relationship(
        secondary=engagement_attendees, order_by="User.name", info={"label": "Our attendees"}
    )
    created_by: Mapped[User | None] = relationship()
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="engagement",
        cascade="all, delete-orphan",
        order_by="(FollowUp.due_on, FollowUp.id)",
    )

    @property
    def kind_label(self) -> str:
        return EngagementKind(self.kind).label

    def __str__(self) -> str:
        return self.subject


class FollowUp(db.Model):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every update; an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300), info={"label": "Action"})
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True, info={"label": "Due"})
    done_on: Mapped[date | None] = mapped_column(Date, index=True, info={"label": "Done on"})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="follow_ups")
    owner: Mapped[User | None] = relationship()

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def __str__(self) -> str:
        return self.title


class PartnerActivity(db.Model):
    """A partner's engagement figures as of the day they were derived, stored and kept
    current (`tracker.partners.states`): what the partner lists show and sort by, read
    without adding up every engagement on each request."""

    __tablename__ = "partner_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int] = mapped_column(Integer, unique=True)  # the partner's id
    first_on: Mapped[date | None] = mapped_column(Date, index=True)  # first engagement
    last_on: Mapped[date | None] = mapped_column(Date, index=True)  # last engagement held
    recent: Mapped[int] = mapped_column(Integer)  # engagements in the last RECENT_DAYS
    open_follow_ups: Mapped[int] = mapped_column(Integer)
    overdue_follow_ups: Mapped[int] = mapped_column(Integer)
    changes_on: Mapped[date | None] = mapped_column(Date)


class EngagementDay(db.Model):
    """How many engagements were held on one day, in all (`partner_kind` "") and with
    partners of each kind (an engagement with two agencies counts once for agencies):
    stored and kept current (`tracker.partners.states`), so the dashboard adds up a year
    of days rather than a year of engagements."""

    __tablename__ = "engagement_days"
    __table_args__ = (UniqueConstraint("scope_id", "partner_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[int] = mapped_column(Integer)  # the day, as date.toordinal()
    partner_kind: Mapped[str] = mapped_column(String(32))
    engagements: Mapped[int] = mapped_column(Integer)
