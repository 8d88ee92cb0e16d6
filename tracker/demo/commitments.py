"""The demo's commitments of every kind, with their milestones and a co-investment's
contributions, written through `tracker.commitments.operations`."""

from decimal import Decimal
from typing import Any

from tracker.auth.models import User
from tracker.commitments import operations
from tracker.commitments.models import (
    CommitmentKind,
    CommitmentStatus,
    MilestoneStatus,
    VolumePeriod,
)
from tracker.demo.dates import dated, on
from tracker.incentives.models import Obligation
from tracker.partners.models import Partner, Region

# fmt: off
PLANNED = MilestoneStatus.PLANNED
IN_PROGRESS = MilestoneStatus.IN_PROGRESS
DONE = MilestoneStatus.DONE
MISSED = MilestoneStatus.MISSED

# Commitments. Milestones: (title, due on, status, completed on, evidence note), in order;
# contributions: (partner, or None for us, amount, paid to date) in the commitment's currency.
# `obligation` names the incentive obligation a training programme counts towards.
COMMITMENTS: list[dict[str, Any]] = [
    {
        "kind": CommitmentKind.ANCHOR_VOLUME,
        "title": "Anchor volume – 48V battery modules",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "voltmodul",
        "region": "gyor",
        "owner": "owner",
        "description": "Three-year volume floor that underwrote Voltmodul's second line.",
        "currency": "EUR",
        "value": Decimal("36_000_000"),
        "start_on": -300,
        "end_on": 795,
        "committed_volume": Decimal("120000"),
        "volume_unit": "modules",
        "volume_period": VolumePeriod.YEAR,
        "volume_taken": Decimal("71500"),
        "annual_tonnage": Decimal("2800"),
        "transport_mode": "road",
        "replaced_country": "CN",
        "replaced_mode": "sea",
        "milestones": [
            ("Supply agreement signed", -300, DONE, -300, "Signed at the Győr kick-off."),
            ("PPAP approved for module family A", -190, DONE, -196, "PPAP level 3."),
            ("Line 2 start of production", -90, DONE, -84, None),
            ("Mid-year volume review", 10, IN_PROGRESS, None, None),
            ("Annual volume true-up", 65, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.ANCHOR_VOLUME,
        "title": "Anchor volume – e-axle units",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "danube_edrive",
        "region": "bratislava",
        "owner": "owner",
        "currency": "EUR",
        "value": Decimal("54_000_000"),
        "start_on": -120,
        "end_on": 1340,
        "committed_volume": Decimal("9000"),
        "volume_unit": "units",
        "volume_period": VolumePeriod.QUARTER,
        "volume_taken": Decimal("6150"),
        "annual_tonnage": Decimal("3600"),
        "transport_mode": "road",
        "replaced_country": "CN",
        "replaced_mode": "sea",
        "milestones": [
            ("Frame contract signed", -120, DONE, -118, None),
            ("B-sample release", -40, DONE, -35, None),
            ("C-sample and PV testing complete", -5, IN_PROGRESS, None, None),
            ("Run at rate: 1,000 units a week", 12, PLANNED, None, None),
            ("Start of production", 150, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.ANCHOR_VOLUME,
        "title": "Anchor volume – HV wiring harness sets",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "sierra_harness",
        "region": "nuevo_leon",
        "owner": "owner2",
        "currency": "USD",
        "value": Decimal("22_500_000"),
        "start_on": -240,
        "end_on": 855,
        "committed_volume": Decimal("250000"),
        "volume_unit": "harness sets",
        "volume_period": VolumePeriod.YEAR,
        "volume_taken": Decimal("168000"),
        "annual_tonnage": Decimal("1500"),
        "transport_mode": "road",
        "replaced_country": "CN",
        "replaced_mode": "sea",
        "milestones": [
            ("Volume agreement signed", -240, DONE, -240, None),
            ("Second cutting line installed", -60, MISSED, None,
             "Press delivery slipped to next quarter."),
            ("Quarterly call-off confirmed", 6, PLANNED, None, None),
            ("Annual volume review", 125, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CAPACITY_EXPANSION,
        "title": "Capacity expansion – Odra Cell module line 2",
        "status": CommitmentStatus.PLANNED,
        "counterparty": "odra_cell",
        "region": "wroclaw",
        "owner": "owner",
        "currency": "PLN",
        "value": Decimal("310_000_000"),
        "start_on": 30,
        "end_on": 760,
        "target_capacity": Decimal("2.5"),
        "capacity_unit": "GWh/year",
        "milestones": [
            ("Investment decision by Odra Cell's board", 20, PLANNED, None, None),
            ("Polish Investment Zone support decision", 75, PLANNED, None, None),
            ("Building permit", 150, PLANNED, None, None),
            ("Line 2 start of production", 720, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CAPACITY_EXPANSION,
        "title": "Capacity expansion – large-tonnage mold shop",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "moldes_norte",
        "region": "nuevo_leon",
        "owner": "owner2",
        "currency": "MXN",
        "value": Decimal("85_000_000"),
        "start_on": -200,
        "end_on": 330,
        "target_capacity": Decimal("40"),
        "capacity_unit": "molds/year",
        "milestones": [
            ("Purchase order for the 1,500 t press", -180, DONE, -182, None),
            ("Press foundation and crane", -70, DONE, -62, None),
            ("Press commissioning", -8, IN_PROGRESS, None, None),
            ("First production mold approved", 40, PLANNED, None, None),
            ("Run rate of 40 molds a year", 300, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CAPACITY_EXPANSION,
        "title": "Capacity expansion – Silesia Die stamping cell",
        "status": CommitmentStatus.CANCELLED,
        "counterparty": "silesia_die",
        "region": "wroclaw",
        "owner": "owner",
        "currency": "PLN",
        "value": Decimal("12_000_000"),
        "start_on": -330,
        "end_on": -30,
        "target_capacity": Decimal("3.2"),
        "capacity_unit": "million parts/year",
        "milestones": [
            ("Capacity study", -300, DONE, -305, None),
            ("Press relocation", -150, MISSED, None, "Supplier withdrew after a change of owner."),
        ],
    },
    {
        "kind": CommitmentKind.CO_LOCATION,
        "title": "Co-location – Voltmodul and Mosoni Tooling, Győr North",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "gyor_park",
        "region": "gyor",
        "owner": "owner",
        "currency": "HUF",
        "value": Decimal("2_800_000_000"),
        "start_on": -150,
        "end_on": 400,
        "site_name": "Győr North Industrial Park, halls C and D",
        "milestones": [
            ("Lease heads of terms", -140, DONE, -141, None),
            ("Hall C handed over to Voltmodul", -30, DONE, -26, None),
            ("Hall D handed over to Mosoni Tooling", -3, IN_PROGRESS, None, None),
            ("Shared goods-in dock live", 13, PLANNED, None, None),
            ("Tool room in production", 90, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CO_LOCATION,
        "title": "Co-location – Pacífica and Tijuana Circuit Etching, El Florido",
        "status": CommitmentStatus.ON_HOLD,
        "counterparty": "pacifica",
        "region": "baja",
        "owner": "owner2",
        "description": "On hold until the fast-track permit decision.",
        "currency": "USD",
        "value": Decimal("4_000_000"),
        "start_on": 60,
        "end_on": 600,
        "site_name": "Parque Industrial El Florido, Tijuana",
        "milestones": [
            ("Site shortlist agreed", -45, DONE, -50, None),
            ("Fast-track permit granted", 90, PLANNED, None, None),
            ("Lease signed", 120, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CO_LOCATION,
        "title": "Co-location – Frontera Norte cross-dock, Nuevo Laredo",
        "status": CommitmentStatus.COMPLETED,
        "counterparty": "frontera_logistics",
        "region": "tamaulipas",
        "owner": "owner2",
        "currency": "USD",
        "value": Decimal("1_800_000"),
        "start_on": -330,
        "end_on": -40,
        "site_name": "Frontera Norte cross-dock, Nuevo Laredo",
        "milestones": [
            ("Cross-dock lease signed", -320, DONE, -322, None),
            ("Customs broker on site", -200, DONE, -205, None),
            ("First consolidated crossing", -120, DONE, -118, "Saves a day per shipment."),
            ("Handover to operations", -40, DONE, -41, None),
        ],
    },
    {
        "kind": CommitmentKind.CO_INVESTMENT,
        "title": "Co-investment – shared battery test centre, Brno",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "voltcert",
        "region": "brno",
        "owner": "owner",
        "description": "Abuse-test bunker, climate chambers and vibration rigs shared with "
        "cluster members.",
        "currency": "CZK",
        "value": Decimal("180_000_000"),
        "start_on": -70,
        "end_on": 650,
        "budget": Decimal("180_000_000"),
        "spend_to_date": Decimal("62_400_000"),
        "contributions": [
            (None, Decimal("90_000_000"), Decimal("45_000_000")),
            ("voltcert", Decimal("60_000_000"), Decimal("17_400_000")),
            ("msac", Decimal("15_000_000"), Decimal("0")),
        ],
        "milestones": [
            ("Co-investment agreement signed", -70, DONE, -70, None),
            ("Abuse-test bunker design frozen", -20, DONE, -16, None),
            ("Building permit", 11, IN_PROGRESS, None, None),
            ("Climate chambers delivered", 160, PLANNED, None, None),
            ("ISO/IEC 17025 accreditation", 600, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CO_INVESTMENT,
        "title": "Co-investment – e-drive NVH test bench",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "danube_edrive",
        "region": "bratislava",
        "owner": "owner",
        "currency": "EUR",
        "value": Decimal("2_400_000"),
        "start_on": -100,
        "end_on": 200,
        "budget": Decimal("2_400_000"),
        "spend_to_date": Decimal("1_050_000"),
        "contributions": [
            (None, Decimal("1_200_000"), Decimal("700_000")),
            ("danube_edrive", Decimal("900_000"), Decimal("350_000")),
            ("stu", Decimal("150_000"), Decimal("0")),
        ],
        "milestones": [
            ("Specification frozen", -61, DONE, -61, None),
            ("Factory acceptance test at the bench maker", -12, MISSED, None,
             "Rescheduled: data acquisition chain late."),
            ("Bench installed in Bratislava", 25, PLANNED, None, None),
            ("Correlation with vehicle data", 150, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.CO_INVESTMENT,
        "title": "Co-investment – Nuevo León supplier development fund",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "claut",
        "region": "nuevo_leon",
        "owner": "manager2",
        "description": "Fund upgrading Tier-2 toolers, molders and platers in Nuevo León.",
        "currency": "MXN",
        "value": Decimal("45_000_000"),
        "start_on": -250,
        "end_on": 480,
        "budget": Decimal("45_000_000"),
        "spend_to_date": Decimal("12_300_000"),
        "contributions": [
            (None, Decimal("20_000_000"), Decimal("6_000_000")),
            ("nl_economia", Decimal("15_000_000"), Decimal("4_800_000")),
            ("claut", Decimal("5_000_000"), Decimal("1_500_000")),
        ],
        "milestones": [
            ("Fund rules approved by the steering committee", -230, DONE, -228, None),
            ("First call: eight Tier-2 suppliers selected", -120, DONE, -115, None),
            ("Mid-term review", 14, PLANNED, None, None),
            ("Second call", 90, PLANNED, None, None),
            ("Final report", 470, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.TRAINING_PROGRAMME,
        "title": "Battery technician dual programme – Széchenyi István University",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "sze",
        "region": "gyor",
        "owner": "owner",
        "currency": "HUF",
        "value": Decimal("310_000_000"),
        "start_on": -290,
        "end_on": 800,
        "cohorts": 3,
        "target_participants": 90,
        "enrolled_participants": 64,
        "completed_participants": 28,
        "obligation": "hipa_grant/training_hours",
        "milestones": [
            ("Curriculum accredited", -240, DONE, -245, None),
            ("Cohort 1 graduates", -60, DONE, -58, "28 of 30 passed the final exam."),
            ("Cohort 2 intake", -20, DONE, -19, None),
            ("Cell-handling lab equipped", -15, IN_PROGRESS, None, None),
            ("Cohort 3 intake", 120, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.TRAINING_PROGRAMME,
        "title": "Harness and electronics technicians – CONALEP Nuevo León",
        "status": CommitmentStatus.ACTIVE,
        "counterparty": "conalep",
        "region": "nuevo_leon",
        "owner": "owner2",
        "currency": "MXN",
        "value": Decimal("9_600_000"),
        "start_on": -190,
        "end_on": 540,
        "cohorts": 4,
        "target_participants": 160,
        "enrolled_participants": 118,
        "completed_participants": 71,
        "milestones": [
            ("Curriculum signed off with CLAUT", -170, DONE, -175, None),
            ("Cohort 1 completed", -80, DONE, -80, None),
            ("Cohort 2 completed", 9, IN_PROGRESS, None, None),
            ("Cohort 3 intake", 40, PLANNED, None, None),
        ],
    },
    {
        "kind": CommitmentKind.TRAINING_PROGRAMME,
        "title": "Battery engineering traineeships – STU Bratislava",
        "status": CommitmentStatus.PLANNED,
        "counterparty": "stu",
        "region": "bratislava",
        "owner": "owner",
        "currency": "EUR",
        "value": Decimal("380_000"),
        "start_on": 45,
        "end_on": 775,
        "cohorts": 2,
        "target_participants": 24,
        "enrolled_participants": 0,
        "completed_participants": 0,
        "milestones": [
            ("Framework agreement with STU", 14, IN_PROGRESS, None, None),
            ("Trainee selection", 40, PLANNED, None, None),
            ("First cohort starts", 45, PLANNED, None, None),
        ],
    },
]
# fmt: on


def load_commitments(
    users: dict[str, User],
    regions: dict[str, Region],
    partners: dict[str, Partner],
    obligations: dict[str, Obligation],
) -> None:
    """Create the commitments, each with its milestones and contributions, by its owner."""
    for spec in COMMITMENTS:
        _load_commitment(spec, users, regions, partners, obligations)


def _load_commitment(
    spec: dict[str, Any],
    users: dict[str, User],
    regions: dict[str, Region],
    partners: dict[str, Partner],
    obligations: dict[str, Obligation],
) -> None:
    fields = dict(spec)
    kind = fields.pop("kind")
    milestones = fields.pop("milestones")
    contributions = fields.pop("contributions", [])
    obligation = fields.pop("obligation", None)
    owner = users[fields.pop("owner")]
    fields["counterparty_id"] = partners[fields.pop("counterparty")].id
    fields["region_id"] = regions[fields.pop("region")].id
    fields["owner_id"] = owner.id
    if obligation is not None:
        fields["obligation_id"] = obligations[obligation].id
    commitment = operations.create_commitment(kind, dated(fields), actor=owner)
    for title, due_on, status, completed_on, note in milestones:
        operations.create_milestone(
            commitment,
            {
                "title": title,
                "due_on": on(due_on),
                "status": status,
                "completed_on": on(completed_on),
                "evidence_note": note,
            },
            actor=owner,
        )
    for partner, amount, paid in contributions:
        operations.create_contribution(
            commitment,
            {
                "partner_id": partners[partner].id if partner else None,
                "amount": amount,
                "paid_to_date": paid,
            },
            actor=owner,
        )
