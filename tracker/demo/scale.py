"""A portfolio N times the size of the demo, for measuring the app at the scale of a real
programme: `flask --app tracker seed-demo --scale N` (`seed_scale`).

Per unit of N (`PER_UNIT`): 30 partners, 2,000 engagements, 500 follow-ups, 50 incentives
with 200 obligations, 180 compliance reports and 120 agency promises, 100 commitments with
2,000 milestones; so at N = 100 the 3,000 partners, 200,000 engagements … of issue 12. Beside
them, what a real portfolio has: staff in every role (the demo users among them, so the demo
logins work), regions in several countries, one or two contacts a partner, FX rates for every
currency used, contributions on every co-investment, and some archived partners. Statuses
spread across each pipeline, dates over the past five years and the next three, counted from
`today()`, so every page has overdue items, items due this week and this month, and items
further out. The same N gives the same portfolio (a `random.Random` seeded by N), relative
to the day it is loaded.

Two ways in, by volume:

* Through the operations, one by one, with their history: users, regions, FX rates and
  partners, and archiving partners at the end: what a team enters by hand.
* In bulk, for the volume: contacts, engagements (with who took part) and follow-ups,
  incentives (with their pipeline history), obligations, compliance reports, promises,
  commitments, contributions and milestones. One by one, the operations take about 10 ms a
  record: well over an hour at N = 100. So each row is first run through its domain's own
  checks (`check_new_*` and `check_step` in the partners' and incentives' `operations.py`;
  `new_commitment`, `new_contribution` and `check_milestone` in the commitments'): a rule
  changed there stops the generator with that rule's message instead of letting it write
  an invalid row. What an operation fills in besides the input
  is filled in the same way: the text keys of `tracker.core.text`, versions, time stamps, who
  logged an engagement, an incentive's award date, a co-investment's value, a milestone's
  place in its list. Rows go in with explicit ids, a batch (`BATCH` rows) per commit. They
  have no audit events: their history starts with the first edit.

The derived state the operations keep current on every write (dated items, health, status,
exposure) is derived
once, for everything, at the end: `refresh_derived_state`.
"""

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, Table, func, select, text

from tracker.auth import operations as auth_operations
from tracker.auth.models import Role, User
from tracker.clusters import operations as cluster_operations
from tracker.clusters.routes import country_point
from tracker.commitments import operations as commitment_operations
from tracker.commitments.models import (
    CoInvestment,
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    Contribution,
    Milestone,
    MilestoneStatus,
    VolumePeriod,
)
from tracker.commitments.services import COUNTERPARTY_KINDS
from tracker.core import derived, states
from tracker.core.errors import DomainError
from tracker.core.money import reporting_currency
from tracker.core.text import fold, search_text
from tracker.core.types import today as today_
from tracker.core.types import utcnow
from tracker.core.values import plain
from tracker.demo import auth as demo_auth
from tracker.demo import clusters as demo_clusters
from tracker.demo.auth import DEMO_PASSWORD
from tracker.extensions import db
from tracker.incentives import operations as incentive_operations
from tracker.incentives.models import (
    AgencyPromise,
    ClawbackRule,
    ComplianceReport,
    Incentive,
    IncentiveKind,
    IncentiveStatus,
    IncentiveStatusChange,
    Obligation,
    ObligationKind,
    PromiseKind,
    PromiseStatus,
)
from tracker.incentives.services import allowed_transitions
from tracker.partners import operations as partner_operations
from tracker.partners.models import (
    Contact,
    Engagement,
    EngagementKind,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
    engagement_attendees,
    engagement_partners,
)

# The documented sizes, per unit of N.
PER_UNIT: dict[str, int] = {
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
# Rows inserted between two commits.
BATCH = 50_000
PAST_DAYS = 5 * 365
FUTURE_DAYS = 3 * 365

PK = PartnerKind
IS = IncentiveStatus
CS = CommitmentStatus
MS = MilestoneStatus

# fmt: off
# (name, country, sector focus, cities): the demo's seven first, then more in more countries.
REGIONS = [
    ("Győr–Moson–Sopron", "HU", "EV battery & e-drive", ("Győr", "Sopron", "Mosonmagyaróvár")),
    ("Bratislava", "SK", "EV battery, automotive", ("Bratislava", "Senec", "Pezinok")),
    ("South Moravia (Brno)", "CZ", "Electronics & automotive", ("Brno", "Blansko", "Břeclav")),
    ("Lower Silesia (Wrocław)", "PL", "EV batteries", ("Wrocław", "Legnica", "Wałbrzych")),
    ("Nuevo León", "MX", "Automotive & electronics", ("Monterrey", "Apodaca", "Santa Catarina")),
    ("Baja California", "MX", "Electronics, medical devices", ("Tijuana", "Mexicali", "Ensenada")),
    ("Tamaulipas", "MX", "Automotive, cross-border logistics", ("Reynosa", "Nuevo Laredo",
                                                                 "Altamira")),
    ("Timiș (Timișoara)", "RO", "Automotive electronics", ("Timișoara", "Lugoj")),
    ("Saxony", "DE", "Battery cells, semiconductors", ("Dresden", "Leipzig", "Zwickau")),
    ("Fejér (Székesfehérvár)", "HU", "Automotive, electronics", ("Székesfehérvár", "Dunaújváros")),
    ("Trnava", "SK", "Automotive assembly", ("Trnava", "Piešťany")),
    ("Central Bohemia", "CZ", "Automotive", ("Mladá Boleslav", "Kolín", "Kladno")),
    ("Silesia (Katowice)", "PL", "Automotive, e-mobility", ("Katowice", "Gliwice", "Tychy")),
    ("Coahuila", "MX", "Automotive", ("Saltillo", "Ramos Arizpe", "Torreón")),
    ("Hajdú-Bihar (Debrecen)", "HU", "EV battery", ("Debrecen", "Hajdúszoboszló")),
    ("Žilina", "SK", "Automotive, e-drive", ("Žilina", "Martin")),
    ("Moravia-Silesia (Ostrava)", "CZ", "Automotive, engineering", ("Ostrava", "Nošovice")),
    ("Greater Poland (Poznań)", "PL", "Automotive, batteries", ("Poznań", "Września")),
    ("Chihuahua", "MX", "Electronics, aerospace", ("Ciudad Juárez", "Chihuahua")),
    ("Argeș", "RO", "Automotive", ("Pitești", "Mioveni")),
    ("Brandenburg", "DE", "EV assembly, batteries", ("Grünheide", "Cottbus")),
    ("Pest (Budapest)", "HU", "Electronics, R&D", ("Budapest", "Gödöllő", "Vác")),
    ("Nitra", "SK", "Automotive assembly", ("Nitra", "Zlaté Moravce")),
    ("Plzeň", "CZ", "Electronics, engineering", ("Plzeň", "Stříbro")),
    ("Łódź", "PL", "Appliances, electronics", ("Łódź", "Pabianice")),
    ("Guanajuato", "MX", "Automotive", ("Silao", "Celaya", "León")),
    ("Querétaro", "MX", "Aerospace, automotive", ("Querétaro", "El Marqués")),
    ("Komárom-Esztergom", "HU", "Electronics, batteries", ("Komárom", "Tatabánya")),
    ("Košice", "SK", "Automotive, steel", ("Košice", "Prešov")),
    ("Subcarpathia (Rzeszów)", "PL", "Aerospace, automotive", ("Rzeszów", "Mielec")),
]

# The currency a country's deals are made in, and how many EUR one unit bought five years ago.
CURRENCY = {"HU": "HUF", "SK": "EUR", "CZ": "CZK", "PL": "PLN", "MX": "MXN", "RO": "RON",
            "DE": "EUR"}
EUR_PER_UNIT = {"EUR": 1.0, "HUF": 0.00255, "CZK": 0.0395, "PLN": 0.226, "MXN": 0.0445,
                "RON": 0.203, "USD": 0.905}
EU = {"HU", "SK", "CZ", "PL", "RO", "DE"}

PEOPLE = {  # country → (given names, surnames)
    "HU": (("Zsófia", "Gábor", "András", "Katalin", "Péter", "Eszter", "László", "Réka", "Bence",
            "Anna"),
           ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Németh",
            "Farkas", "Balogh", "Papp", "Takács", "Juhász", "Mészáros", "Simon")),
    "SK": (("Martina", "Peter", "Lucia", "Juraj", "Zuzana", "Michal", "Jana", "Tomáš"),
           ("Kováč", "Baláž", "Lukáč", "Kráľ", "Šimko", "Hudák", "Polák", "Novotná", "Kováčová",
            "Horváth")),
    "CZ": (("Tomáš", "Lenka", "Pavel", "Kateřina", "Radek", "Petra", "Jiří", "Eva"),
           ("Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý",
            "Horák", "Marek", "Pokorný", "Král")),
    "PL": (("Agnieszka", "Michał", "Krzysztof", "Katarzyna", "Piotr", "Magdalena", "Tomasz",
            "Anna"),
           ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
            "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski")),
    "MX": (("Fernanda", "Roberto", "Luis", "Sofía", "Carlos", "Laura", "Jorge", "Ana Lucía",
            "Héctor", "Gabriela"),
           ("García", "Martínez", "Hernández", "López", "González", "Rodríguez", "Pérez",
            "Sánchez", "Ramírez", "Treviño", "Garza", "Villarreal", "Salinas", "Cantú",
            "Elizondo", "Cavazos")),
    "RO": (("Andrei", "Ioana", "Mihai", "Elena", "Radu", "Cristina"),
           ("Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Stoica", "Gheorghe", "Munteanu")),
    "DE": (("Jonas", "Anna", "Lukas", "Sophie", "Felix", "Lena"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Hoffmann", "Koch")),
}
PHONE_PREFIX = {"HU": "+36", "SK": "+421", "CZ": "+420", "PL": "+48", "MX": "+52", "RO": "+40",
                "DE": "+49"}
LEGAL_FORMS = {"HU": ("Kft.", "Zrt."), "SK": ("s.r.o.", "a.s."), "CZ": ("s.r.o.", "a.s."),
               "PL": ("Sp. z o.o.", "S.A."), "MX": ("S.A. de C.V.", "S. de R.L. de C.V."),
               "RO": ("S.R.L.", "S.A."), "DE": ("GmbH", "AG")}

# Partner kinds: (share of partners, engagement weight), and how their names are made.
# The capabilities a partner of each kind is tagged with, one chosen at random.
CLUSTER_CAPABILITIES = {
    PK.TIER1_SUPPLIER: ("modules", "edrive", "harness", "power", "smt"),
    PK.TIER2_SUPPLIER: ("cells", "pcb", "bms", "thermal", "molds", "tooling", "heat"),
    PK.LOGISTICS_PROVIDER: ("hub", "customs"),
    PK.TESTING_CERTIFICATION: ("battery_lab", "emc_lab"),
    PK.EDUCATION_PROVIDER: ("training",),
}
PARTNER_KINDS = {
    PK.ECONOMIC_AGENCY: (0.08, 3.0), PK.CLUSTER_ALLIANCE: (0.07, 3.0),
    PK.TRADE_COUNCIL: (0.04, 1.5), PK.GOVERNMENT_BODY: (0.05, 2.0),
    PK.EDUCATION_PROVIDER: (0.08, 2.0), PK.TIER1_SUPPLIER: (0.22, 4.0),
    PK.TIER2_SUPPLIER: (0.28, 2.0), PK.LOGISTICS_PROVIDER: (0.07, 1.0),
    PK.TESTING_CERTIFICATION: (0.05, 1.0), PK.OTHER: (0.06, 0.5),
}
INSTITUTION_NAMES = {
    PK.ECONOMIC_AGENCY: ("{city} Investment Promotion Agency", "{region} Economic Development "
                         "Agency", "{city} Investment Office", "{region} Development Corporation"),
    PK.CLUSTER_ALLIANCE: ("{region} Automotive Cluster", "{region} Battery Alliance",
                          "{city} Electronics Cluster", "{city} E-Mobility Cluster",
                          "{region} Mechatronics Cluster"),
    PK.TRADE_COUNCIL: ("{city} Chamber of Commerce and Industry", "{region} Trade Council",
                       "{city} Business Council", "{city} Exporters' Association"),
    PK.GOVERNMENT_BODY: ("{region} Ministry of Economy", "{city} City Hall – Investor Services",
                         "{region} Regional Development Office", "{city} Land Registry Office"),
    PK.EDUCATION_PROVIDER: ("{city} Technical University", "{city} Dual Vocational Training "
                            "Centre", "{city} Technical College", "{city} Institute of "
                            "Technology"),
}
COMPANY_TRADES = {
    PK.TIER1_SUPPLIER: ("Battery Systems", "E-Drive", "Power Electronics", "Harness Systems",
                        "Module Assembly", "Thermal Systems", "Body Structures",
                        "Electronics Manufacturing", "Cell Components", "Charging Systems"),
    PK.TIER2_SUPPLIER: ("Precision Tooling", "Heat Treatment", "Mold Making", "Circuit Etching",
                        "Die & Stamping", "Machining", "Surface Coating", "Plastics Injection",
                        "Wire Processing", "Castings", "Fasteners", "Busbar Fabrication"),
    PK.LOGISTICS_PROVIDER: ("Logistics", "Freight", "Cross-Dock Services", "Customs Brokerage",
                            "Warehousing"),
    PK.TESTING_CERTIFICATION: ("Testing Laboratory", "Certification Services", "EMC Lab",
                               "Battery Test Centre", "Metrology"),
    PK.OTHER: ("Industrial Park", "Engineering Consultancy", "Facility Services",
               "Energy Services"),
}
PARTNER_ABOUT = {
    PK.ECONOMIC_AGENCY: "Investment incentives and investor aftercare.",
    PK.CLUSTER_ALLIANCE: "Members across the regional supply chain; runs supplier days.",
    PK.TRADE_COUNCIL: "Introductions to local suppliers and public bodies.",
    PK.GOVERNMENT_BODY: "Permits, land and infrastructure for new sites.",
    PK.EDUCATION_PROVIDER: "Technician and engineering programmes; dual training.",
    PK.TIER1_SUPPLIER: "Series supplier of modules and systems.",
    PK.TIER2_SUPPLIER: "Parts, tooling and treatment for our Tier-1s.",
    PK.LOGISTICS_PROVIDER: "Milk runs, cross-docking and customs.",
    PK.TESTING_CERTIFICATION: "Accredited testing and certification.",
    PK.OTHER: "Site services.",
}
JOB_TITLES = ("Managing Director", "Key Account Manager", "Plant Manager", "Quality Manager",
              "Head of Investor Relations", "Project Manager", "Sales Director",
              "Cluster Manager", "Programme Coordinator", "Head of Purchasing")
STAFF = {  # role → extra staff at N = 100 beyond the demo's (a share of that below)
    Role.MANAGER: 7, Role.OWNER: 10, Role.VIEWER: 2, Role.ADMIN: 1,
}
STAFF_NAMES = (("Ines", "Albrecht"), ("Tamás", "Bognár"), ("Lucía", "Cortés"),
               ("Ondřej", "Doležal"), ("Marta", "Ebner"), ("Pablo", "Fuentes"),
               ("Hanna", "Gajewska"), ("Miklós", "Halász"), ("Rosa", "Ibarra"),
               ("Karel", "Jelínek"), ("Beata", "Kaczmarek"), ("Diego", "Lozano"),
               ("Noémi", "Makó"), ("Ivan", "Novák"),
               ("Olga", "Orlova"), ("Jakub", "Pawlak"), ("Sara", "Quintero"), ("Viktor", "Rajki"),
               ("Alena", "Sedláková"), ("Mateo", "Torres"), ("Ulrike", "Vogel"),
               ("Zoltán", "Vass"), ("Paula", "Werner"), ("Adam", "Zając"), ("Elisa", "Zavala"),
               ("Filip", "Urban"), ("Nina", "Kraus"), ("Oskar", "Lindner"), ("Irene", "Mora"),
               ("Rafael", "Núñez"), ("Dóra", "Pintér"), ("Leon", "Roth"), ("Vera", "Šťastná"),
               ("Emil", "Tichý"))

ENGAGEMENT_KINDS = ((EngagementKind.MEETING, 35), (EngagementKind.CALL, 30),
                    (EngagementKind.SITE_VISIT, 12), (EngagementKind.WORKSHOP, 10),
                    (EngagementKind.MOU_SIGNING, 3), (EngagementKind.EVENT, 10))
HOW_MANY = (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)  # partners taking part in an engagement
TOPICS = ("supplier development plan", "capacity review", "quarterly business review",
          "incentive pre-consultation", "site selection", "skills gap", "localisation roadmap",
          "grid connection", "permit timeline", "quality escalation", "cost-down ideas",
          "PPAP status", "second-source qualification", "logistics flows", "cohort planning",
          "compliance report scope", "expansion financing", "ramp-up readiness",
          "new programme award", "annual review")
SUMMARIES = ("Walked through the plan and the open questions on both sides.",
             "Reviewed volumes, lead times and the risks to the ramp-up.",
             "Compared hiring plans; technician skills remain the bottleneck.",
             "Discussed eligibility, the application calendar and the evidence needed.",
             "Toured the line; capacity is there once tooling is confirmed.",
             "Agreed the next steps and who owns them.",
             "Went through last quarter's figures and the forecast.")
OUTCOMES = ("Next steps agreed; minutes to follow.", "Quote expected within two weeks.",
            "Escalated to the steering committee.", "Pilot agreed for the next quarter.",
            "No decision yet; revisit after budget approval.", "Term sheet to be drafted.")
FOLLOW_UPS = ("Send the minutes to {partner}", "Share the capex plan with {partner}",
              "Collect the headcount forecast from {partner}", "Book the next site visit",
              "Draft the term sheet", "Ask {partner} for updated quotes",
              "Confirm volumes with central planning", "Prepare the steering committee pack",
              "Review the draft agreement from {partner}", "Request the permit timeline")

INCENTIVE_STATUSES = ((IS.IDENTIFIED, 11), (IS.PREPARING, 11), (IS.SUBMITTED, 12),
                      (IS.AWARDED, 12), (IS.IN_COMPLIANCE, 32), (IS.CLOSED, 9),
                      (IS.REJECTED, 7), (IS.CLAWED_BACK, 4), (IS.WITHDRAWN, 2))
INCENTIVE_KINDS = {  # who grants → kinds they offer
    PK.ECONOMIC_AGENCY: (IncentiveKind.GRANT, IncentiveKind.TAX_CREDIT,
                         IncentiveKind.TAX_ABATEMENT, IncentiveKind.LAND, IncentiveKind.LOAN),
    PK.GOVERNMENT_BODY: (IncentiveKind.INFRASTRUCTURE, IncentiveKind.REGULATORY_FAST_TRACK,
                         IncentiveKind.LAND, IncentiveKind.TAX_ABATEMENT),
    PK.CLUSTER_ALLIANCE: (IncentiveKind.TRAINING_SUBSIDY, IncentiveKind.OTHER),
    PK.EDUCATION_PROVIDER: (IncentiveKind.TRAINING_SUBSIDY,),
}
SITES = ("battery module plant", "e-drive line", "harness plant", "electronics plant",
         "test centre", "logistics hub", "tool room", "R&D centre", "paint shop", "cell plant")
OBLIGATIONS = {  # kind → (description, unit, target range, with the currency in the unit?)
    ObligationKind.JOBS: ("Net new FTE at the {site}", "FTE", (40, 600), False),
    ObligationKind.CAPEX: ("Eligible capital investment", "{currency} m", (5, 900), True),
    ObligationKind.WAGES: ("Average wage against the regional average", "% of regional avg",
                           (100, 130), False),
    ObligationKind.LOCAL_CONTENT: ("Components bought from local suppliers", "%", (20, 60),
                                   False),
    ObligationKind.TRAINING_HOURS: ("Accredited training hours", "hours", (2_000, 40_000), False),
    ObligationKind.OTHER: ("R&D headcount", "FTE", (5, 60), False),
}
REPORTS = ("Annual project report", "Half-year headcount statement", "Capex statement",
           "Local content declaration")
PROMISES = {
    PromiseKind.PERMIT_FAST_TRACK: ("Building permit within 60 days", "Environmental permit "
                                    "decision within 45 days"),
    PromiseKind.INFRASTRUCTURE: ("Road access to the plot", "Grid upgrade at the plant "
                                 "boundary", "Water and sewage connection"),
    PromiseKind.DISBURSEMENT: ("Grant instalment",),
    PromiseKind.TRAINING_FUNDS: ("Training fund tranche",),
    PromiseKind.OTHER: ("Dedicated account manager", "Fast-track customs clearance"),
}
CLAWBACK_TERMS = ("A shortfall is repaid pro rata, with interest from disbursement.",
                  "Below the floor, all of the aid is repayable with default interest.",
                  "Jobs and capex must be held for five years after the term.")
NACE_CODES = ("27.20", "27.11", "29.31", "29.32", "26.11", "22.29", "28.41", "C")

COMMITMENT_KINDS = ((CommitmentKind.ANCHOR_VOLUME, 25), (CommitmentKind.CAPACITY_EXPANSION, 25),
                    (CommitmentKind.CO_LOCATION, 20), (CommitmentKind.CO_INVESTMENT, 15),
                    (CommitmentKind.TRAINING_PROGRAMME, 15))
COMMITMENT_STATUSES = ((CS.ACTIVE, 45), (CS.PLANNED, 20), (CS.ON_HOLD, 10), (CS.COMPLETED, 20),
                       (CS.CANCELLED, 5))
COUNTERPARTIES = {  # kind → partner kinds it is made with (the rule's kind first)
    CommitmentKind.ANCHOR_VOLUME: (PK.TIER1_SUPPLIER,),
    CommitmentKind.CAPACITY_EXPANSION: (PK.TIER1_SUPPLIER, PK.TIER2_SUPPLIER),
    CommitmentKind.CO_LOCATION: (PK.TIER1_SUPPLIER, PK.TIER2_SUPPLIER, PK.LOGISTICS_PROVIDER,
                                 PK.OTHER),
    CommitmentKind.CO_INVESTMENT: (PK.TESTING_CERTIFICATION, PK.CLUSTER_ALLIANCE,
                                   PK.EDUCATION_PROVIDER, PK.TIER1_SUPPLIER),
    CommitmentKind.TRAINING_PROGRAMME: (PK.EDUCATION_PROVIDER,),
}
COMMITMENT_TITLES = {
    CommitmentKind.ANCHOR_VOLUME: "Anchor volume – {product} from {partner}",
    CommitmentKind.CAPACITY_EXPANSION: "Capacity expansion – {partner} {product} line",
    CommitmentKind.CO_LOCATION: "Co-location – {partner} at {city}",
    CommitmentKind.CO_INVESTMENT: "Shared {product} facility with {partner}",
    CommitmentKind.TRAINING_PROGRAMME: "{product} technician programme with {partner}",
}
PRODUCTS = ("battery modules", "e-axles", "HV harnesses", "inverters", "battery trays",
            "cell housings", "chargers", "busbars", "thermal plates", "connectors")
MILESTONES = ("Term sheet signed", "Contract signed", "Site survey done", "Permit granted",
              "Tooling ordered", "Tooling delivered", "Line installed", "First article approved",
              "PPAP approved", "SOP reached", "Volume ramp to 50%", "Full rate reached",
              "Cohort enrolled", "Cohort graduated", "Quarterly review", "Audit passed",
              "Budget approved", "Equipment commissioned")
# fmt: on


# --- The entry point -------------------------------------------------------------------------


def seed_scale(factor: int, *, echo: Callable[[str], None] | None = None) -> dict[str, int]:
    """Fill an empty database with the portfolio of size `factor` (≥ 1) and commit it; return
    the rows per table. `echo`, when given, receives a progress line per step.

    Refused (DomainError, nothing written) when the database holds any row. A generated row
    that breaks a rule raises that rule's DomainError: the batches committed before stay, so
    start again on a new database.
    """
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"The scale is a whole number from 1, not {factor!r}.")
    refuse_unless_empty()
    started = time.perf_counter()

    def say(line: str) -> None:
        if echo is not None:
            echo(f"  {time.perf_counter() - started:6.1f} s  {line}")

    build = _Portfolio(factor, say)
    build.add_people()
    build.add_regions_and_rates()
    build.add_partners()
    build.add_contacts()
    build.add_engagements()
    build.add_incentives()
    build.add_commitments()
    build.writer.flush()
    build.writer.finish()
    build.add_clusters()
    build.archive_withdrawn()
    say("deriving the stored state (dated items, health, status, exposure)")
    refresh_derived_state()
    db.session.commit()
    return table_counts()


def refresh_derived_state() -> None:
    """Derive from the records the state the operations keep current on every write, which
    rows inserted in bulk go past, and keep last month's end as the scan would have. The
    caller commits."""
    derived.refresh_all()
    states.keep_last_month_end(today_())


def refuse_unless_empty() -> None:
    """DomainError naming what the database holds, unless it holds nothing."""
    held = table_counts()
    if held:
        names = ", ".join(f"{name} ({count:,})" for name, count in list(held.items())[:3])
        more = f" and {len(held) - 3} more tables" if len(held) > 3 else ""
        total = sum(held.values())
        raise DomainError(
            f"seed-demo --scale fills an empty database only, and this one holds {total:,} "
            f"row{'s' if total != 1 else ''}: {names}{more}. Point DATABASE_URL at a new "
            "database, run `flask --app tracker db upgrade`, and try again."
        )


def table_counts() -> dict[str, int]:
    """Rows per table, for the tables that hold any, in the order tables are created."""
    counts = {}
    for table in db.metadata.sorted_tables:
        count = db.session.scalar(select(func.count()).select_from(table))
        if count:
            counts[table.name] = count
    return counts


def sizes(factor: int) -> dict[str, int]:
    """The documented rows per table at `factor`."""
    return {name: per_unit * factor for name, per_unit in PER_UNIT.items()}


# --- Writing rows in bulk --------------------------------------------------------------------


class _Writer:
    """Rows waiting to be inserted, table by table, with the ids given to them. A flush
    inserts them parents first and commits; `reload` then brings back the records the rules
    look up (users, regions, partners), which the commit expired."""

    def __init__(self, reload: Callable[[], None]):
        self.pending: dict[Table, list[dict[str, Any]]] = {}
        self.waiting = 0
        self.last_id: dict[Table, int] = {}
        self.reload = reload

    def new_id(self, table: Table) -> int:
        if table not in self.last_id:
            self.last_id[table] = db.session.scalar(select(func.max(table.c.id))) or 0
        self.last_id[table] += 1
        return self.last_id[table]

    def add(self, table: Table, row: dict[str, Any]) -> None:
        self.pending.setdefault(table, []).append(row)
        self.waiting += 1

    def flush_when_full(self) -> None:
        if self.waiting >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in db.metadata.sorted_tables:
            rows = self.pending.pop(table, None)
            if rows:
                db.session.execute(table.insert(), rows)
        self.waiting = 0
        db.session.commit()
        self.reload()

    def finish(self) -> None:
        """PostgreSQL's sequences move past the ids given here (SQLite needs nothing: it
        takes the largest id plus one)."""
        if db.session.get_bind().dialect.name != "postgresql":
            return
        for table in self.last_id:
            column = table.c.id
            if isinstance(column.type, Integer):
                largest = db.session.scalar(select(func.max(column))) or 0
                db.session.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :next, false)"),
                    {"table": table.name, "next": largest + 1},
                )


def _stamp(day: date, now: datetime) -> datetime:
    """A time stamp on `day` during office hours, never after `now`."""
    return min(datetime.combine(day, clock(9, 30), tzinfo=UTC), now)


def _search_key(model: type, values: dict[str, Any]) -> str:
    """What `tracker.core.text` keeps in `search_key` for a record with these values."""
    return search_text(SimpleNamespace(__searched__=model.__searched__, **values))


def _spread(total: int, slots: int, rng: random.Random, low: int, high: int) -> list[int]:
    """`slots` counts from `low` to `high` (widened when it must be) adding up to `total`."""
    if not slots:
        return []
    low = min(low, total // slots)
    high = max(high, math.ceil(total / slots))
    counts = [low] * slots
    open_slots = [slot for slot in range(slots) if low < high]
    for _ in range(total - low * slots):
        index = rng.randrange(len(open_slots))
        slot = open_slots[index]
        counts[slot] += 1
        if counts[slot] == high:
            open_slots[index] = open_slots[-1]
            open_slots.pop()
    return counts


def _whole(amount: float, step: int = 1) -> Decimal:
    """An amount rounded down to `step` whole units: fine in every currency's minor unit."""
    return Decimal(int(amount // step) * step)


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    return _chooser(rng, choices)()


def _chooser(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Callable[[], Any]:
    """A draw from `choices` (value, weight) by weight, its weights added up once."""
    values = [value for value, _ in choices]
    cumulative = list(_accumulate([weight for _, weight in choices]))
    return lambda: rng.choices(values, cum_weights=cumulative)[0]


@dataclass
class _Partner:
    """What the generator remembers of a partner (the ORM record may be expired)."""

    id: int
    name: str
    kind: str
    country: str
    region_id: int | None
    city: str
    owner_id: int
    withdrawn: bool  # archived at the end, once its history is in


# --- The portfolio -------------------------------------------------------------------------


class _Portfolio:
    def __init__(self, factor: int, say: Callable[[str], None]):
        self.factor = factor
        self.say = say
        self.rng = random.Random(f"ecosystem-tracker scale {factor}")
        self.today = today_()
        self.now = utcnow()
        self.size = sizes(factor)
        self.writer = _Writer(self._reload)
        self.loaded: list[Any] = []
        self.reloaded: tuple[type, ...] = (User, Region)
        self.engagement_kind = _chooser(self.rng, ENGAGEMENT_KINDS)
        self.milestone_status = {
            True: _chooser(
                self.rng, ((MS.DONE, 75), (MS.IN_PROGRESS, 10), (MS.PLANNED, 8), (MS.MISSED, 7))
            ),  # due already
            False: _chooser(self.rng, ((MS.PLANNED, 80), (MS.IN_PROGRESS, 15), (MS.DONE, 5))),
        }
        self.search_keys: dict[tuple, str] = {}
        self.stamps: dict[date, datetime] = {}
        self.users: dict[str, User] = {}
        self.staff: dict[str, list[int]] = {}
        self.regions: list[tuple[Region, tuple[str, ...]]] = []
        self.partners: list[_Partner] = []
        self.by_kind: dict[str, list[_Partner]] = {}
        self.currencies: list[str] = []
        self.available: dict[str, list[_Partner]] = {}  # kind → partners not withdrawn
        self.incentive_country: dict[int, str] = {}
        self.training_obligations: dict[str, list[int]] = {}  # country → obligation ids

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def stamp(self, day: date) -> datetime:
        """`_stamp(day)`, remembered: the days repeat."""
        stamp = self.stamps.get(day)
        if stamp is None:
            stamp = self.stamps[day] = _stamp(day, self.now)
        return stamp

    def _reload(self) -> None:
        """Load again the records the rules look up by id (a commit expired them), and hold
        on to them: the session keeps only records something refers to."""
        self.loaded = [record for model in self.reloaded for record in
                       db.session.scalars(select(model))]  # fmt: skip

    # --- Through the operations ---------------------------------------------------------

    def add_people(self) -> None:
        """The demo users (their logins work as in the demo), then more staff in every role,
        all with the demo password, each created by the admin."""
        self.users = demo_auth.load_users()
        admin = self.users["admin"]
        names = iter(STAFF_NAMES)
        for role, at_hundred in STAFF.items():
            for _ in range(min(at_hundred, at_hundred * self.factor // 100)):
                given, surname = next(names)
                email = f"{fold(given)}.{fold(surname)}@example.com".replace(" ", "")
                self.users[email.partition("@")[0]] = auth_operations.create_user(
                    email, f"{given} {surname}", role, DEMO_PASSWORD, actor=admin
                )
        for user in self.users.values():
            self.staff.setdefault(user.role, []).append(user.id)
        self.managers = self.staff[Role.MANAGER]
        self.owners = self.staff[Role.OWNER]
        self.say(f"users: {len(self.users)}, through the operations")

    def add_regions_and_rates(self) -> None:
        admin = self.users["admin"]
        count = min(len(REGIONS), 7 + self.factor // 4)
        for name, country, sector, cities in REGIONS[:count]:
            region = partner_operations.create_region(
                {"name": name, "country_code": country, "sector_focus": sector}, actor=admin
            )
            self.regions.append((region, cities))
        countries = {region.country_code for region, _ in self.regions}
        self.currencies = sorted({CURRENCY[country] for country in countries} | {"USD"})
        reporting = reporting_currency()
        rated = [c for c in sorted({*self.currencies, "EUR"}) if c != reporting]
        rates = 0
        for currency in rated:
            level = EUR_PER_UNIT[currency] / EUR_PER_UNIT.get(reporting, 1.0)
            for quarter in range(PAST_DAYS // 91 + 2, -1, -1):  # oldest first, to today
                level *= 1 + self.rng.uniform(-0.03, 0.03)
                effective_on = self.day(-91 * quarter)
                incentive_operations.add_fx_rate(
                    currency, Decimal(f"{level:.8g}"), effective_on, actor=admin
                )
                rates += 1
        self.say(f"regions: {count}, FX rates: {rates}, through the operations")

    def add_partners(self) -> None:
        """Partners of every kind, by their relationship owners (the managers). Those to be
        archived are created active: commitments are made with them first."""
        rng = self.rng
        kinds = list(PARTNER_KINDS)
        shares = [PARTNER_KINDS[kind][0] for kind in kinds]
        taken: set[tuple[str, str]] = set()
        for number in range(self.size["partners"]):
            kind = kinds[number] if number < len(kinds) else rng.choices(kinds, shares)[0]
            region, cities = self.regions[rng.randrange(len(self.regions))]
            country, city = region.country_code, rng.choice(cities)
            name = self._partner_name(kind, region, city, taken)
            status = _weighted(
                rng,
                ((PartnerStatus.ACTIVE, 72), (PartnerStatus.PROSPECT, 10),
                 (PartnerStatus.DORMANT, 10), (PartnerStatus.ARCHIVED, 8)),
            )  # fmt: skip
            if number < len(kinds):
                status = PartnerStatus.ACTIVE  # one of each kind to work with, whatever N
            elif number == len(kinds):
                status = PartnerStatus.ARCHIVED  # and one withdrawn
            owner = self.users_by_id(rng.choice(self.managers))
            regular = kind in INSTITUTION_NAMES or kind == PK.TIER1_SUPPLIER
            cadence = rng.choice((30, 45, 60, 90)) if regular or rng.random() < 0.3 else None
            next_on = self.day(rng.randint(-30, 120)) if cadence and rng.random() < 0.7 else None
            partner = partner_operations.create_partner(
                {
                    "name": name,
                    "kind": kind,
                    "status": PartnerStatus.ACTIVE if status == PartnerStatus.ARCHIVED else status,
                    "country_code": country,
                    "region_id": region.id if rng.random() < 0.9 else None,
                    "owner_id": owner.id,
                    "website": f"https://www.{_slug(name)}.example" if rng.random() < 0.6 else None,
                    "cadence_days": cadence,
                    "next_engagement_on": next_on,
                    "description": PARTNER_ABOUT[kind],
                },
                actor=owner,
            )
            remembered = _Partner(
                partner.id,
                name,
                kind,
                country,
                partner.region_id,
                city,
                owner.id,
                status == PartnerStatus.ARCHIVED,
            )
            self.partners.append(remembered)
            self.by_kind.setdefault(kind, []).append(remembered)
            if not remembered.withdrawn:
                self.available.setdefault(kind, []).append(remembered)
            if number % 500 == 499:
                db.session.commit()
                self._reload()
        db.session.commit()
        self._reload()
        self.say(f"partners: {len(self.partners):,}, through the operations")

    def _search_key(self, model: type, values: dict[str, Any]) -> str:
        """`_search_key`, remembered: the texts repeat."""
        texts = tuple(values.get(name) for name in model.__searched__)
        key = self.search_keys.get(texts)
        if key is None:
            key = self.search_keys[texts] = _search_key(model, values)
        return key

    def users_by_id(self, user_id: int) -> User:
        return db.session.get(User, user_id)

    def _partner_name(self, kind: str, region: Region, city: str, taken: set) -> str:
        rng = self.rng
        country = region.country_code
        short = region.name.split(" (")[0]
        for attempt in range(50):
            if kind in INSTITUTION_NAMES:
                name = rng.choice(INSTITUTION_NAMES[kind]).format(city=city, region=short)
            else:
                surnames = PEOPLE[country][1]
                stem = rng.choice(surnames) if rng.random() < 0.6 else city
                trade = rng.choice(COMPANY_TRADES[kind])
                name = f"{stem} {trade} {rng.choice(LEGAL_FORMS[country])}"
            if attempt >= 10:
                name = f"{name} – {city} {attempt - 8}"
            key = (fold(name), country)
            if key not in taken:
                taken.add(key)
                return name
        raise RuntimeError("no free partner name")  # pragma: no cover

    def archive_withdrawn(self) -> None:
        """Archive the partners that withdrew, by their owners, through the operation: last,
        as a commitment cannot be made with an archived partner."""
        archived = 0
        for remembered in self.partners:
            if remembered.withdrawn:
                partner = db.session.get(Partner, remembered.id)
                partner_operations.archive_partner(partner, actor=partner.owner)
                archived += 1
        db.session.commit()
        self.say(f"archived partners: {archived}, through the operations")

    # --- In bulk -------------------------------------------------------------------------

    def add_contacts(self) -> None:
        rng, table, count = self.rng, Contact.__table__, 0
        for partner in self.partners:
            given_names, surnames = PEOPLE[partner.country]
            for _ in range(1 if rng.random() < 0.5 else 2):
                given, surname = rng.choice(given_names), rng.choice(surnames)
                values = partner_operations.check_new_contact(
                    {
                        "name": f"{given} {surname}",
                        "job_title": rng.choice(JOB_TITLES),
                        "email": f"{_slug(given)}.{_slug(surname)}@{_slug(partner.name)}.example",
                        "phone": f"{PHONE_PREFIX[partner.country]} {rng.randint(1, 99)} "
                        f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    }
                )
                self.writer.add(
                    table,
                    {
                        **values,
                        "id": self.writer.new_id(table),
                        "version": 1,
                        "partner_id": partner.id,
                        "created_at": self.now,
                    },
                )
                count += 1
        self.writer.flush_when_full()
        self.say(f"contacts: {count:,}, in bulk")

    def add_engagements(self) -> None:
        """Engagements over five years, more of them recent, with the partners a team meets
        most (agencies, clusters, Tier-1s) met most; some with follow-ups."""
        rng, total = self.rng, self.size["engagements"]
        weights = [PARTNER_KINDS[p.kind][1] * rng.lognormvariate(0, 0.8) for p in self.partners]
        cumulative = list(_accumulate(weights))
        with_follow_ups = rng.sample(range(total), min(total, self.size["follow_ups"] // 2))
        follow_ups = dict(
            zip(
                with_follow_ups,
                _spread(self.size["follow_ups"], len(with_follow_ups), rng, 1, 3),
                strict=True,
            )
        )
        people = self.managers + self.owners
        labels = {kind: kind.label for kind in EngagementKind}
        engagements, partners, attendees = (
            Engagement.__table__,
            engagement_partners,
            engagement_attendees,
        )
        follow_up_table = FollowUp.__table__
        for number in range(total):
            occurred_on = self.day(-int(PAST_DAYS * rng.random() ** 1.4))
            kind = self.engagement_kind()
            taking_part = {
                partner.id: partner
                for partner in _pick(rng, self.partners, cumulative, rng.choice(HOW_MANY))
            }
            first = next(iter(taking_part.values()))
            ours = [first.owner_id] if rng.random() < 0.6 else []
            ours += rng.sample(people, rng.choice((1, 1, 2)))
            ours = list(dict.fromkeys(ours))
            topic = rng.choice(TOPICS)
            values = partner_operations.check_new_engagement(
                {
                    "kind": kind,
                    "occurred_on": occurred_on,
                    "subject": f"{labels[kind]}: {topic}",
                    "summary": rng.choice(SUMMARIES),
                    "outcome": rng.choice(OUTCOMES) if rng.random() < 0.75 else None,
                    "partner_ids": list(taking_part),
                    "attendee_ids": ours,
                }
            )
            engagement_id = self.writer.new_id(engagements)
            partner_ids, attendee_ids = values.pop("partner_ids"), values.pop("attendee_ids")
            self.writer.add(
                engagements,
                {
                    **values,
                    "id": engagement_id,
                    "version": 1,
                    "created_by_id": ours[0],
                    "created_at": self.stamp(occurred_on),
                    "search_key": self._search_key(Engagement, values),
                },
            )
            for partner_id in partner_ids:
                self.writer.add(
                    partners, {"engagement_id": engagement_id, "partner_id": partner_id}
                )
            for user_id in attendee_ids:
                self.writer.add(attendees, {"engagement_id": engagement_id, "user_id": user_id})
            for _ in range(follow_ups.get(number, 0)):
                self.writer.add(
                    follow_up_table,
                    self._follow_up(engagement_id, occurred_on, first, ours[0]),
                )
            self.writer.flush_when_full()
        self.say(f"engagements: {total:,} with {self.size['follow_ups']:,} follow-ups, in bulk")

    def _follow_up(self, engagement_id: int, occurred_on: date, partner: _Partner, logged_by):
        rng = self.rng
        due_on = occurred_on + timedelta(days=rng.randint(3, 45))
        age = (self.today - due_on).days
        done = rng.random() < (0.97 if age > 30 else 0.5 if age >= 0 else 0.1)
        done_on = None
        if done:
            done_on = min(max(due_on + timedelta(days=rng.randint(-10, 10)), occurred_on),
                          self.today)  # fmt: skip
        values = partner_operations.check_new_follow_up(
            {
                "title": rng.choice(FOLLOW_UPS).format(partner=partner.name),
                "owner_id": logged_by if rng.random() < 0.7 else rng.choice(self.managers),
                "due_on": due_on,
                "done_on": done_on,
            }
        )
        return {
            **values,
            "id": self.writer.new_id(FollowUp.__table__),
            "version": 1,
            "engagement_id": engagement_id,
            "created_at": self.stamp(occurred_on),
        }

    def add_incentives(self) -> None:
        """Incentives across the pipeline, each with its history; the awarded ones with their
        obligations, reports and promises."""
        rng, total = self.rng, self.size["incentives"]
        self.reloaded = (User, Region, Partner)  # from here on, the rules look partners up
        self._reload()
        grantors = [partner for kind in INCENTIVE_KINDS for partner in self.available.get(kind, [])]
        statuses = [_weighted(rng, INCENTIVE_STATUSES) for _ in range(total)]
        for index, (status, _) in enumerate(INCENTIVE_STATUSES[:total]):
            statuses[index] = status  # every status, whatever N
        built = [self._incentive(rng.choice(grantors), status) for status in statuses]

        awarded = [i for i in built if i.status in (*IS.secured(), IS.CLAWED_BACK)]
        promised = [i for i in built if i.status not in (IS.IDENTIFIED, IS.PREPARING)]
        obligations = _spread(self.size["obligations"], len(awarded), rng, 1, 10)
        reports = _spread(self.size["compliance_reports"], len(awarded), rng, 1, 10)
        promises = _spread(self.size["agency_promises"], len(promised), rng, 0, 8)
        for incentive, count in zip(awarded, obligations, strict=True):
            for _ in range(count):
                self._obligation(incentive)
        for incentive, count in zip(awarded, reports, strict=True):
            self._reports(incentive, count)
        for incentive, count in zip(promised, promises, strict=True):
            for _ in range(count):
                self._promise(incentive)
        self.writer.flush()
        self.say(
            f"incentives: {total:,} with {self.size['obligations']:,} obligations, "
            f"{self.size['compliance_reports']:,} reports and "
            f"{self.size['agency_promises']:,} promises, in bulk"
        )

    def _incentive(self, grantor: _Partner, status: str) -> Incentive:
        rng = self.rng
        kind = rng.choice(INCENTIVE_KINDS[grantor.kind])
        currency = CURRENCY[grantor.country]
        owner = rng.choice(self.managers)
        steps = _path_to(status, rng)
        dates, term = self._pipeline_dates(steps)
        eur = math.exp(rng.uniform(math.log(150_000), math.log(60_000_000)))
        step = 1000 if currency == "HUF" else 1
        offered = _whole(eur / EUR_PER_UNIT[currency], step)
        awarded = received = None
        if IS.AWARDED in steps:
            awarded = _whole(float(offered) * rng.uniform(0.6, 1.0), step)
            share = {IS.CLOSED: 1.0, IS.AWARDED: rng.uniform(0, 0.3)}.get(
                status, rng.uniform(0.1, 0.9)
            )
            received = _whole(float(awarded) * share, step)
        rule = _weighted(
            rng, ((ClawbackRule.NONE, 25), (ClawbackRule.PRO_RATA, 50), (ClawbackRule.CLIFF, 25))
        )
        state_aid = grantor.country in EU and kind in (
            IncentiveKind.GRANT,
            IncentiveKind.TAX_CREDIT,
        )
        state_aid = state_aid and rng.random() < 0.7
        site = f"{grantor.city} {rng.choice(SITES)}"
        values = incentive_operations.check_new_incentive(
            {
                "title": f"{IncentiveKind(kind).label} – {site}",
                "kind": kind,
                "status": steps[0],
                "granting_partner_id": grantor.id,
                "region_id": grantor.region_id,
                "owner_id": owner,
                "currency": currency,
                "amount_offered": offered,
                "amount_awarded": awarded,
                "amount_received": received,
                "application_deadline": dates.get("deadline"),
                "decision_expected_on": dates.get("decision"),
                "term_start_on": term[0] if term else None,
                "term_end_on": term[1] if term else None,
                "clawback_rule": rule,
                "clawback_floor_pct": Decimal(rng.randint(60, 90))
                if rule == ClawbackRule.CLIFF
                else None,
                "clawback_interest_pct": Decimal(rng.randint(0, 9500)) / 1000
                if rule != ClawbackRule.NONE
                else None,
                "clawback_terms": rng.choice(CLAWBACK_TERMS) if rule != ClawbackRule.NONE else None,
                "is_state_aid": state_aid,
                "aid_scheme_number": f"SA.{rng.randint(10_000, 999_999)}" if state_aid else None,
                "aid_type": "Regional investment aid" if state_aid else None,
                "nace_code": rng.choice(NACE_CODES) if state_aid else None,
                "aid_granted_on": dates.get(IS.AWARDED) if state_aid else None,
                "description": f"{grantor.name}: support for the {site}.",
            }
        )
        # The pipeline's history, each step under `transition`'s rules; the first award
        # dates the award, as the operation does.
        incentive = Incentive(**values)
        incentive.status_changes.append(
            IncentiveStatusChange(
                from_status=None,
                to_status=steps[0],
                changed_on=dates[steps[0]],
                user_id=owner,
                note="Recorded",
            )
        )
        for to_status in steps[1:]:
            on = dates[to_status]
            incentive_operations.check_step(incentive, to_status, on, today=self.today)
            incentive.status_changes.append(
                IncentiveStatusChange(
                    from_status=incentive.status, to_status=to_status, changed_on=on,
                    user_id=owner, note=None,
                )
            )  # fmt: skip
            incentive.status = to_status
            if to_status == IS.AWARDED and incentive.awarded_on is None:
                incentive.awarded_on = on

        table = Incentive.__table__
        incentive.id = self.writer.new_id(table)
        created = self.stamp(dates[steps[0]])
        row = {column.key: getattr(incentive, column.key) for column in table.columns}
        row |= {
            "version": 1,
            "created_at": created,
            "updated_at": self.stamp(dates[steps[-1]]),
            "search_key": search_text(incentive),
        }
        self.writer.add(table, row)
        changes = IncentiveStatusChange.__table__
        for change in incentive.status_changes:
            self.writer.add(
                changes,
                {
                    "id": self.writer.new_id(changes),
                    "incentive_id": incentive.id,
                    "from_status": change.from_status,
                    "to_status": change.to_status,
                    "changed_on": change.changed_on,
                    "changed_at": self.stamp(change.changed_on),
                    "user_id": change.user_id,
                    "note": change.note,
                },
            )
        self.incentive_country[incentive.id] = grantor.country
        return incentive

    def _pipeline_dates(self, steps: list[str]) -> tuple[dict[str, Any], tuple[date, date] | None]:
        """Each step's date (in order, none to come), the application deadline and the
        expected decision, and the term (start, end) once awarded."""
        rng, status, day = self.rng, steps[-1], self.day
        decision = next((step for step in steps if step in (IS.AWARDED, IS.REJECTED)), None)
        decided_on = day(
            -{
                None: rng.randint(0, 60),  # not decided yet: the last step so far
                IS.AWARDED: rng.randint(5, 240),
                IS.IN_COMPLIANCE: rng.randint(150, 1300),
                IS.CLOSED: rng.randint(900, 1400),
            }.get(status if decision else None, rng.randint(100, 1400))
        )
        before = steps[: steps.index(decision) + 1] if decision else steps
        first = decided_on - timedelta(days=rng.randint(30, 400))
        marks = sorted(rng.randint(0, (decided_on - first).days) for _ in before[:-1])
        dates: dict[str, Any] = {
            step: first + timedelta(days=mark)
            for step, mark in zip(before[:-1], marks, strict=True)
        }
        dates[before[-1]] = decided_on
        submitted_on = dates.get(IS.SUBMITTED)
        dates["deadline"] = (
            submitted_on + timedelta(days=rng.randint(0, 20))
            if submitted_on
            else day(rng.randint(-15, 240))  # some already passed: overdue
        )
        if status == IS.SUBMITTED:
            dates["decision"] = day(rng.randint(-30, 150))
        elif decision:
            dates["decision"] = decided_on + timedelta(days=rng.randint(-30, 30))
        if decision != IS.AWARDED:
            return dates, None
        start = min(decided_on + timedelta(days=rng.randint(0, 90)), self.today)
        if IS.IN_COMPLIANCE in steps:
            dates[IS.IN_COMPLIANCE] = start
        elif status == IS.AWARDED:
            start = decided_on + timedelta(days=rng.randint(0, 90))  # may start to come
        end = start + timedelta(days=rng.randint(2 * 365, 6 * 365))
        if status == IS.CLOSED:
            end = max(min(end, day(-rng.randint(10, 300))), start + timedelta(days=365))
            dates[IS.CLOSED] = min(end + timedelta(days=rng.randint(0, 45)), self.today)
        elif status == IS.IN_COMPLIANCE:
            end = max(end, day(rng.randint(30, 400)))
        end = max(min(end, day(FUTURE_DAYS)), start)
        if status in (IS.CLAWED_BACK, IS.WITHDRAWN):  # taken back, or given up, after the award
            previous = dates[steps[-2]]
            dates[status] = min(previous + timedelta(days=rng.randint(30, 700)), self.today)
        return dates, (start, end)

    def _obligation(self, incentive: Incentive) -> None:
        rng = self.rng
        kind = rng.choice(list(OBLIGATIONS))
        description, unit, (low, high), in_currency = OBLIGATIONS[kind]
        start, end = incentive.term_start_on, incentive.term_end_on
        due_on = start + timedelta(days=rng.randint(0, (end - start).days))
        target = Decimal(rng.randint(low, high))
        actual = as_of = None
        if start <= self.today:
            elapsed = min(1.0, (self.today - start).days / max(1, (due_on - start).days))
            actual = Decimal(int(float(target) * elapsed * rng.uniform(0.5, 1.15)))
            as_of = self.day(-rng.randint(0, 90))
        values = incentive_operations.check_new_obligation(
            incentive,
            {
                "kind": kind,
                "description": description.format(site=incentive.title.split(" – ")[-1]),
                "target_value": target,
                "unit": unit.format(currency=incentive.currency) if in_currency else unit,
                "actual_value": actual,
                "actual_as_of": as_of,
                "due_on": due_on,
                "owner_id": incentive.owner_id,
            },
        )
        table = Obligation.__table__
        obligation_id = self.writer.new_id(table)
        self.writer.add(
            table, {**values, "id": obligation_id, "version": 1, "incentive_id": incentive.id}
        )
        if kind == ObligationKind.TRAINING_HOURS:
            country = self.incentive_country[incentive.id]
            self.training_obligations.setdefault(country, []).append(obligation_id)

    def _reports(self, incentive: Incentive, count: int) -> None:
        """A series of `count` reports spread over the term, titled as a scheduled series is."""
        rng = self.rng
        start, end = incentive.term_start_on, incentive.term_end_on
        title = rng.choice(REPORTS)
        step = (end - start) / (count + 1)
        table = ComplianceReport.__table__
        for n in range(1, count + 1):
            due_on = start + step * n
            submitted_on = None
            if due_on < self.today and rng.random() < 0.9:
                submitted_on = min(due_on - timedelta(days=rng.randint(0, 20)), self.today)
            values = incentive_operations.check_new_report(
                incentive,
                {
                    "title": title if count == 1 else f"{title} ({n} of {count})",
                    "due_on": due_on,
                    "submitted_on": submitted_on,
                    "note": "Accepted without queries." if submitted_on else None,
                },
            )
            self.writer.add(
                table,
                {**values, "id": self.writer.new_id(table), "version": 1,
                 "incentive_id": incentive.id},
            )  # fmt: skip

    def _promise(self, incentive: Incentive) -> None:
        rng = self.rng
        kind = rng.choice(list(PROMISES))
        anchor = incentive.awarded_on or incentive.status_changes[-1].changed_on
        due_on = min(anchor + timedelta(days=rng.randint(-60, 900)), self.day(FUTURE_DAYS))
        if due_on < self.today:
            status = _weighted(
                rng,
                ((PromiseStatus.DELIVERED, 70), (PromiseStatus.CANCELLED, 10),
                 (PromiseStatus.PENDING, 20)),
            )  # fmt: skip
        else:
            status = PromiseStatus.DELIVERED if rng.random() < 0.1 else PromiseStatus.PENDING
        delivered_on = None
        if status == PromiseStatus.DELIVERED:
            delivered_on = min(due_on + timedelta(days=rng.randint(-30, 40)), self.today)
        amount = None
        if kind in (PromiseKind.DISBURSEMENT, PromiseKind.TRAINING_FUNDS):
            base = incentive.amount_awarded or incentive.amount_offered
            amount = _whole(float(base) * rng.uniform(0.05, 0.3))
        values = incentive_operations.check_new_promise(
            {
                "kind": kind,
                "description": rng.choice(PROMISES[kind]),
                "due_on": due_on,
                "status": status,
                "delivered_on": delivered_on,
                "amount": amount,
                "note": None,
            }
        )
        table = AgencyPromise.__table__
        self.writer.add(
            table,
            {**values, "id": self.writer.new_id(table), "version": 1,
             "incentive_id": incentive.id},
        )  # fmt: skip

    def add_commitments(self) -> None:
        """Commitments of every kind and status, each by its owner, with its milestones and,
        for a co-investment, the parties' contributions."""
        rng, total = self.rng, self.size["commitments"]
        milestones = _spread(self.size["milestones"], total, rng, 5, 40)
        contributions = 0
        for number, count in enumerate(milestones):
            if number < len(COMMITMENT_KINDS):
                kind = COMMITMENT_KINDS[number][0]  # every kind, whatever N
            else:
                kind = _weighted(rng, COMMITMENT_KINDS)
            status = _weighted(rng, COMMITMENT_STATUSES)
            if number < len(COMMITMENT_STATUSES):
                status = COMMITMENT_STATUSES[number][0]
            contributions += self._commitment(kind, status, count)
            self.writer.flush_when_full()
        self.say(
            f"commitments: {total:,} with {self.size['milestones']:,} milestones and "
            f"{contributions:,} contributions, in bulk"
        )

    # --- Clusters, through the operations ------------------------------------------------

    def add_clusters(self) -> None:
        """The demo's catalogue and sectors; each region's sector and a centre near its
        country's; the Tier-2 suppliers of no region moved abroad; a capability for every
        supplier, logistics, testing and education partner; and for each Tier-1 up to three
        supply links for its capability's inputs (most in its region, one in seven abroad)."""
        rng, admin = self.rng, self.users["admin"]
        capabilities, sectors = demo_clusters.load_catalogue(admin)
        names = list(sectors)
        for region, _cities in self.regions:
            latitude, longitude = country_point(region.country_code) or (0.0, 0.0)
            partner_operations.update_region(
                region,
                {
                    "sector_id": sectors[rng.choice(names)].id,
                    "latitude": Decimal(f"{latitude + rng.uniform(-1, 1):.5f}"),
                    "longitude": Decimal(f"{longitude + rng.uniform(-1, 1):.5f}"),
                },
                actor=admin,
            )
        # Tier-2 suppliers of no region are moved abroad: the offshore dependencies.
        abroad = []
        for number, partner in enumerate(
            p for p in self.available.get(PK.TIER2_SUPPLIER, []) if p.region_id is None
        ):
            country = ("CN", "KR", "TW", "VN")[number % 4]
            partner_operations.update_partner(
                db.session.get(Partner, partner.id),
                {"country_code": country},
                actor=self.users_by_id(partner.owner_id),
            )
            partner.country = country
            abroad.append(partner)
        providers: dict[str, list[_Partner]] = {}
        made: dict[int, str] = {}
        tags = 0
        for partner in self.partners:
            choices = CLUSTER_CAPABILITIES.get(partner.kind)
            if partner.withdrawn or not choices:
                continue
            key = rng.choice(choices)
            owner = self.users_by_id(partner.owner_id)
            cluster_operations.add_capability(
                db.session.get(Partner, partner.id),
                {"capability_id": capabilities[key].id},
                actor=owner,
            )
            providers.setdefault(key, []).append(partner)
            made[partner.id] = key
            tags += 1
        db.session.commit()
        inputs = {key: wanted for key, _name, _kind, wanted, _about in demo_clusters.CAPABILITIES}
        links = 0
        for buyer in self.available.get(PK.TIER1_SUPPLIER, []):
            wanted = inputs.get(made.get(buyer.id, ""), ())
            for key in rng.sample(wanted, min(3, len(wanted))):
                candidates = [p for p in providers.get(key, []) if p.id != buyer.id]
                local = [p for p in candidates if p.region_id == buyer.region_id]
                far = [p for p in candidates if p.region_id is None]
                pool = far if far and rng.random() < 1 / 7 else local or candidates
                if not pool:
                    continue
                supplier = rng.choice(pool)
                try:
                    with db.session.begin_nested():
                        cluster_operations.create_supply_link(
                            {
                                "buyer_id": buyer.id,
                                "supplier_id": supplier.id,
                                "capability_id": capabilities[key].id,
                                "annual_tonnage": Decimal(rng.randint(5, 3000)),
                                "transport_mode": "sea" if supplier in far else "road",
                            },
                            actor=self.users_by_id(buyer.owner_id),
                        )
                except DomainError:
                    continue  # a cycle, or a link already there: the generator moves on
                links += 1
            if links % 500 == 499:
                db.session.commit()
        db.session.commit()
        self._reload()
        self.say(
            f"clusters: {len(abroad)} suppliers abroad, {tags:,} capability tags, "
            f"{links:,} supply links, through the operations"
        )

    def _counterparty(self, kind: str, live: bool) -> _Partner:
        rng = self.rng
        for partner_kind in rng.sample(COUNTERPARTIES[kind], len(COUNTERPARTIES[kind])):
            # A commitment still running is never with a partner about to withdraw.
            candidates = (self.available if live else self.by_kind).get(partner_kind)
            if candidates:
                return rng.choice(candidates)
        required = COUNTERPARTY_KINDS.get(kind)
        raise DomainError(f"No {required or kind} partner to make a {kind} commitment with.")

    def _commitment(self, kind: str, status: str, milestone_count: int) -> int:
        rng = self.rng
        counterparty = self._counterparty(kind, status in CS.live())
        owner_id = rng.choice(self.owners) if rng.random() < 0.8 else rng.choice(self.managers)
        owner = self.users_by_id(owner_id)
        currency = CURRENCY[counterparty.country]
        if counterparty.country == "MX" and rng.random() < 0.4:
            currency = "USD"
        start, end = self._period(status)
        worth = _whole(math.exp(rng.uniform(math.log(100_000), math.log(80_000_000)))
                       / EUR_PER_UNIT[currency], 1000 if currency == "HUF" else 100)  # fmt: skip
        product = rng.choice(PRODUCTS)
        values: dict[str, Any] = {
            "title": COMMITMENT_TITLES[kind].format(
                product=product, partner=counterparty.name, city=counterparty.city
            ),
            "status": status,
            "counterparty_id": counterparty.id,
            "region_id": counterparty.region_id,
            "owner_id": owner_id,
            "start_on": start,
            "end_on": end,
            "currency": currency,
            "description": f"With {counterparty.name}, {counterparty.city}.",
        }
        if kind == CommitmentKind.CO_INVESTMENT:
            values |= {"budget": worth, "spend_to_date": _whole(float(worth) * rng.random(), 100)}
        else:
            values["value"] = worth
        if kind == CommitmentKind.ANCHOR_VOLUME:
            volume = Decimal(rng.randint(1, 50) * 1000)
            values |= {
                "committed_volume": volume,
                "volume_unit": product.split()[-1],
                "volume_period": rng.choice(
                    (VolumePeriod.MONTH, VolumePeriod.QUARTER, VolumePeriod.YEAR)
                ),
                "volume_taken": _whole(float(volume) * rng.uniform(0, 3)),
            }
        elif kind == CommitmentKind.CAPACITY_EXPANSION:
            values |= {
                "target_capacity": Decimal(rng.randint(10, 500) * 100),
                "capacity_unit": f"{product} a year",
            }
        elif kind == CommitmentKind.CO_LOCATION:
            values["site_name"] = (
                f"{counterparty.city} North Industrial Park, hall {rng.randint(1, 9)}"
            )
        elif kind == CommitmentKind.TRAINING_PROGRAMME:
            target = rng.randint(20, 300)
            enrolled = rng.randint(0, target)
            linked = self.training_obligations.get(counterparty.country)
            values |= {
                "cohorts": rng.randint(1, 6),
                "target_participants": target,
                "enrolled_participants": enrolled,
                "completed_participants": rng.randint(0, enrolled),
                "obligation_id": rng.choice(linked) if linked and rng.random() < 0.4 else None,
            }
        commitment = commitment_operations.new_commitment(kind, values, actor=owner)

        table = Commitment.__table__
        commitment.id = self.writer.new_id(table)
        row = {column.key: getattr(commitment, column.key, None) for column in table.columns}
        created = self.stamp(min(start - timedelta(days=rng.randint(10, 90)), self.today))
        row |= {
            "kind": kind,
            "version": 1,
            "created_at": created,
            "updated_at": created,
            "search_key": search_text(commitment),
        }
        self.writer.add(table, row)
        commitment_operations.check_may_edit(owner, commitment)  # as each milestone's create
        due_dates = sorted(
            start + timedelta(days=rng.randint(0, (end - start).days))
            for _ in range(milestone_count)
        )
        for position, due_on in enumerate(due_dates):
            self._milestone(commitment, due_on, position)
        if isinstance(commitment, CoInvestment):
            return self._contributions(commitment, owner, counterparty)
        return 0

    def _period(self, status: str) -> tuple[date, date]:
        """Start and end for a commitment of `status`: finished ones in the past, running
        ones across today, planned ones from about now."""
        rng = self.rng
        if status == CS.COMPLETED:
            start = self.day(-rng.randint(500, PAST_DAYS))
            end = min(start + timedelta(days=rng.randint(180, 900)), self.day(-rng.randint(1, 120)))
        elif status == CS.CANCELLED:
            start = self.day(-rng.randint(200, 1600))
            end = start + timedelta(days=rng.randint(365, 1400))
        elif status == CS.PLANNED:
            start = self.day(rng.randint(-20, 300))
            end = min(start + timedelta(days=rng.randint(365, 1000)), self.day(FUTURE_DAYS))
        else:  # active or on hold: running across today
            start = self.day(-rng.randint(30, 1400))
            end = self.day(rng.randint(30, FUTURE_DAYS))
        return start, max(min(end, self.day(FUTURE_DAYS)), start)

    def _milestone(self, commitment: Commitment, due_on: date, position: int) -> None:
        """A milestone at `position` in its commitment's list, under `check_milestone`: the
        rules of a milestone's dates and status that its create and edit share. (Not through
        `create_milestone`'s whole first half: a transient record per row would cost more
        than every other step together.)"""
        rng = self.rng
        past = due_on < self.today
        if commitment.status == CS.COMPLETED:
            status = MS.DONE if rng.random() < 0.95 else MS.MISSED
        elif commitment.status == CS.CANCELLED:
            status = MS.DONE if past and rng.random() < 0.5 else MS.MISSED if past else MS.PLANNED
        else:
            status = self.milestone_status[past]()
        completed_on = None
        if status == MS.DONE:
            completed_on = min(due_on + timedelta(days=rng.randint(-20, 15)), self.today)
        values = plain(
            {
                "title": rng.choice(MILESTONES),
                "due_on": due_on,
                "status": status,
                "completed_on": completed_on,
                "evidence_note": "Signed off by the steering committee." if completed_on else None,
            },
            commitment_operations.MILESTONE_FIELDS,
            Milestone,
        )
        values["completed_on"] = commitment_operations.check_milestone(
            commitment, due_on, status, completed_on, as_of=self.today
        )
        table = Milestone.__table__
        self.writer.add(
            table,
            {
                **values,
                "id": self.writer.new_id(table),
                "version": 1,
                "commitment_id": commitment.id,
                "position": position,
            },
        )

    def _contributions(self, commitment: CoInvestment, owner: User, counterparty: _Partner) -> int:
        """Our share and the counterparty's, sometimes a third party's, within the budget; our
        share sometimes in the reporting currency."""
        rng = self.rng
        parties: list[_Partner | None] = [None, counterparty]
        others = self.available.get(rng.choice(COUNTERPARTIES[CommitmentKind.CO_INVESTMENT]), [])
        parties += rng.sample(others, min(len(others), int(rng.random() < 0.3)))
        parties = list({id(p): p for p in parties}.values())
        shares = [rng.uniform(1, 3) for _ in parties]
        scale = rng.uniform(0.6, 0.95) / sum(shares)
        reporting = reporting_currency()
        table = Contribution.__table__
        for party, share in zip(parties, shares, strict=True):
            amount_local = float(commitment.budget) * share * scale
            currency = commitment.currency
            if party is None and currency != reporting and rng.random() < 0.3:
                rate = EUR_PER_UNIT[currency] / EUR_PER_UNIT.get(reporting, 1.0)
                amount, currency = _whole(amount_local * rate * 0.9), reporting
            else:
                amount = _whole(amount_local)
            paid = {CS.COMPLETED: 1.0, CS.PLANNED: 0.0}.get(commitment.status, rng.random())
            contribution = commitment_operations.new_contribution(
                commitment,
                {
                    "partner_id": party.id if party else None,
                    "amount": amount,
                    "currency": currency,
                    "paid_to_date": _whole(float(amount) * paid),
                },
                actor=owner,
            )
            contribution.commitment = commitment  # the next party's check counts this one
            self.writer.add(
                table,
                {
                    "id": self.writer.new_id(table),
                    "version": 1,
                    "commitment_id": commitment.id,
                    "partner_id": contribution.partner_id,
                    "amount": contribution.amount,
                    "currency": contribution.currency,
                    "paid_to_date": contribution.paid_to_date,
                },
            )
        return len(parties)


def _path_to(status: str, rng: random.Random) -> list[str]:
    """The pipeline's steps from its first status to `status`, along the transitions
    `tracker.incentives.services` allows (a random one where several lead there)."""
    paths = [[IS.IDENTIFIED.value]]
    found = []
    while paths:
        path = paths.pop()
        if path[-1] == status:
            found.append(path)
            continue
        paths += [[*path, step] for step in allowed_transitions(path[-1]) if step not in path]
    if not found:
        raise DomainError(f"No way through the pipeline leads to {status}.")
    return rng.choice(sorted(found))


def _accumulate(weights: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _pick(rng: random.Random, population: list, cumulative: list[float], count: int) -> list:
    """`count` different members of `population`, each drawn by its (cumulative) weight."""
    picked = rng.choices(population, cum_weights=cumulative)
    while len(picked) < min(count, len(population)):
        (member,) = rng.choices(population, cum_weights=cumulative)
        if member not in picked:
            picked.append(member)
    return picked


def _slug(name: str) -> str:
    """A name as a mail or web domain label: folded, letters and digits only."""
    folded = fold(name)
    return "".join(char for char in folded if char.isascii() and char.isalnum())[:24] or "partner"
