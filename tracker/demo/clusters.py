"""The demo's cluster data: the capability catalogue, two sectors with their required sets,
where each region is and which sector it serves, what the partners provide, and the supply
links between them.

Győr–Moson–Sopron and Bratislava both serve EV batteries but score apart for visible
reasons: Győr's module maker buys its BMS boards, thermal parts and tooling inside the
region (two supplier layers, a logistics hub, most of the required set), while Bratislava's
e-axle maker buys its molds from Dongguan, outside every trade bloc Slovakia is in: the
offshore dependency the scorecard flags, with the e-axle anchor commitment resting on it.
"""

from decimal import Decimal

from tracker.auth.models import User
from tracker.clusters import operations
from tracker.clusters.models import Capability, CapabilityKind
from tracker.core.types import TransportMode
from tracker.partners import operations as partner_operations
from tracker.partners.models import Partner, PartnerKind, Region, Sector

PRODUCTION, PROCESS, TOOLING = (
    CapabilityKind.PRODUCTION,
    CapabilityKind.PROCESS,
    CapabilityKind.TOOLING,
)
LOGISTICS, TESTING, TRAINING = (
    CapabilityKind.LOGISTICS,
    CapabilityKind.TESTING,
    CapabilityKind.TRAINING,
)

# (key, name, kind, inputs, description)
# fmt: off
CAPABILITIES = [
    ("cells", "Cell manufacturing", PRODUCTION, (),
     "Lithium-ion cells: cylindrical, prismatic or pouch."),
    ("pcb", "PCB etching and plating", PROCESS, (), "Bare boards: etching, plating, solder mask."),
    ("bms", "Battery-management PCBs", PRODUCTION, ("pcb",), "Assembled BMS boards and harnesses."),
    ("thermal", "Thermal management", PRODUCTION, (),
     "Cooling plates, thermal interface materials."),
    ("molds", "Mold-making", TOOLING, (),
     "Injection and die-casting molds: housings, trays, connectors."),
    ("tooling", "Tooling and fixtures", TOOLING, (),
     "Assembly fixtures, end-of-line test tooling, dies."),
    ("heat", "Heat and surface treatment", PROCESS, (), "Hardening, nitriding, coating."),
    ("modules", "Battery module and pack assembly", PRODUCTION,
     ("cells", "bms", "thermal", "molds", "tooling", "battery_lab"), None),
    ("power", "Power electronics", PRODUCTION, ("pcb",), "Inverters, on-board chargers, DC/DC."),
    ("edrive", "E-drive assembly", PRODUCTION, ("heat", "molds", "tooling", "power"), None),
    ("smt", "Electronics assembly (SMT)", PRODUCTION, ("pcb",), None),
    ("harness", "Wiring harnesses", PRODUCTION, ("molds", "customs"), "HV and LV harness sets."),
    ("battery_lab", "Battery testing lab", TESTING, (), "Abuse, climate and vibration testing."),
    ("emc_lab", "EMC and environmental testing", TESTING, (), None),
    ("hub", "Logistics hub", LOGISTICS, (), "Cross-dock, milk runs, bonded storage."),
    ("customs", "Customs brokerage", LOGISTICS, (), None),
    ("training", "Training institution", TRAINING, (),
     "Technical colleges, dual training, universities."),
]

# (name, required capabilities, description)
SECTORS = [
    ("EV batteries", ("cells", "bms", "modules", "thermal", "molds", "tooling", "heat",
                      "battery_lab", "hub", "training"),
     "Cells to packs: what a battery cluster needs so no tier crosses a border."),
    ("Automotive electronics", ("pcb", "smt", "power", "harness", "molds", "tooling",
                                "emc_lab", "hub", "customs", "training"),
     "Boards to harnesses and chargers, with the labs and border logistics they need."),
]

# region key → (sector, latitude, longitude)
REGION_PLACES = {
    "gyor": ("EV batteries", "47.68749", "17.65040"),
    "bratislava": ("EV batteries", "48.14816", "17.10674"),
    "brno": ("Automotive electronics", "49.19506", "16.60684"),
    "wroclaw": ("EV batteries", "51.10789", "17.03854"),
    "nuevo_leon": ("Automotive electronics", "25.68661", "-100.31611"),
    "baja": ("Automotive electronics", "32.51493", "-117.03825"),
    "tamaulipas": ("Automotive electronics", "27.47629", "-99.51639"),
}

# Suppliers the partner table does not have: (key, name, kind, country, region, owner,
# latitude, longitude, description)
SUPPLIERS = [
    ("raba_bms", "Rába BMS Electronics Kft.", PartnerKind.TIER2_SUPPLIER, "HU", "gyor",
     "manager", "47.66510", "17.68070", "Assembles battery-management boards for Voltmodul."),
    ("pannon_thermal", "Pannon Thermal Systems Kft.", PartnerKind.TIER2_SUPPLIER, "HU", "gyor",
     "manager", "47.70020", "17.61190", "Cooling plates and thermal pads for battery modules."),
    ("komarom_cell", "Komárom Cell Manufacturing Kft.", PartnerKind.TIER2_SUPPLIER, "HU", None,
     "manager", "47.74310", "18.11910", "Prismatic cell plant 60 km east of Győr."),
    ("shenzhen_circuit", "Shenzhen Bright Circuit Co., Ltd.", PartnerKind.TIER2_SUPPLIER, "CN",
     None, "manager", "22.54310", "114.05790", "Bare boards for BMS assemblers; ships by sea."),
    ("dongguan_mould", "Dongguan Precision Mould Co., Ltd.", PartnerKind.TIER2_SUPPLIER, "CN",
     None, "manager", "23.02080", "113.75180", "Die-casting molds for e-axle housings."),
]

# Sites of the demo's partners that are not at their region's centre.
SITES = {
    "voltmodul": ("47.71620", "17.70450"),
    "danube_edrive": ("48.22770", "17.26540"),
    "sierra_harness": ("25.77550", "-100.18830"),
    "pacifica": ("32.45670", "-116.88220"),
    "mosoni_tooling": ("47.87110", "17.26980"),
    "moldes_norte": ("25.72120", "-100.44310"),
    "tijuana_pcb": ("32.53250", "-116.97250"),
    "frontera_logistics": ("27.50060", "-99.55620"),
}

# partner key → [(capability, capacity, unit)]
PROVIDES = {
    "voltmodul": [("modules", "150000", "modules a year")],
    "danube_edrive": [
        ("edrive", "40000", "e-axles a year"), ("power", "40000", "inverters a year")
    ],
    "sierra_harness": [("harness", "300000", "harness sets a year")],
    "odra_cell": [("modules", "80000", "modules a year")],
    "pacifica": [("power", "120000", "chargers a year"), ("smt", None, None)],
    "mosoni_tooling": [("tooling", None, None)],
    "moravia_heat": [("heat", "12000", "tonnes a year")],
    "moldes_norte": [("molds", "60", "molds a year")],
    "tijuana_pcb": [("pcb", "90000", "square metres a year")],
    "danube_logistics": [("hub", None, None)],
    "frontera_logistics": [("hub", None, None), ("customs", None, None)],
    "voltcert": [("battery_lab", "6000", "test hours a year")],
    "lab_noreste": [("emc_lab", None, None)],
    "sze": [("training", "400", "graduates a year")],
    "gyor_dual": [("training", "120", "apprentices a year")],
    "stu": [("training", "250", "graduates a year")],
    "conalep": [("training", "600", "technicians a year")],
    "raba_bms": [("bms", "160000", "boards a year")],
    "pannon_thermal": [("thermal", "150000", "plates a year")],
    "komarom_cell": [("cells", "8", "GWh a year")],
    "shenzhen_circuit": [("pcb", None, None)],
    "dongguan_mould": [("molds", "40", "molds a year")],
}

# (buyer, capability, supplier, site, tonnes a year, mode, replaced supply from)
LINKS = [
    ("voltmodul", "bms", "raba_bms", "Győr module plant", "120", TransportMode.ROAD, "CN"),
    ("voltmodul", "thermal", "pannon_thermal", "Győr module plant", "300", TransportMode.ROAD,
     "CN"),
    ("voltmodul", "tooling", "mosoni_tooling", "Győr module plant", "25", TransportMode.ROAD,
     None),
    ("voltmodul", "cells", "komarom_cell", "Győr module plant", "2400", TransportMode.ROAD,
     "KR"),
    ("voltmodul", "battery_lab", "voltcert", "Győr module plant", None, None, None),
    ("raba_bms", "pcb", "shenzhen_circuit", "Győr BMS line", "40", TransportMode.SEA, None),
    ("danube_edrive", "molds", "dongguan_mould", "Bratislava e-axle plant", "600",
     TransportMode.SEA, None),
    ("danube_edrive", "heat", "moravia_heat", "Bratislava e-axle plant", "900",
     TransportMode.ROAD, "DE"),
    ("danube_edrive", "tooling", "mosoni_tooling", "Bratislava e-axle plant", "15",
     TransportMode.ROAD, None),
    ("sierra_harness", "molds", "moldes_norte", "Apodaca harness plant", "450",
     TransportMode.ROAD, "CN"),
    ("sierra_harness", "customs", "frontera_logistics", "Apodaca harness plant", None, None, None),
    ("pacifica", "pcb", "tijuana_pcb", "Tijuana charger plant", "180", TransportMode.ROAD, "TW"),
]
# fmt: on


def _number(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def load_catalogue(admin: User) -> tuple[dict[str, Capability], dict[str, Sector]]:
    """The capability catalogue with each capability's inputs, and the sectors with their
    required sets, by the admin: capabilities by key, sectors by name."""
    capabilities = {}
    for key, name, kind, _inputs, description in CAPABILITIES:
        capabilities[key] = operations.create_capability(
            {"name": name, "kind": kind, "description": description}, actor=admin
        )
    for key, _name, _kind, inputs, _description in CAPABILITIES:
        if inputs:
            operations.update_capability(
                capabilities[key], {"input_ids": [capabilities[i].id for i in inputs]}, actor=admin
            )
    sectors = {
        name: operations.create_sector(
            {
                "name": name,
                "description": description,
                "capability_ids": [capabilities[key].id for key in required],
            },
            actor=admin,
        )
        for name, required, description in SECTORS
    }
    return capabilities, sectors


def load_clusters(
    users: dict[str, User], regions: dict[str, Region], partners: dict[str, Partner]
) -> None:
    """The catalogue and sectors (by the admin), the regions' sectors and places, the
    demo's extra suppliers, their capabilities and supply links (each by its partner's
    owner)."""
    admin = users["admin"]
    capabilities, sectors = load_catalogue(admin)
    for key, (sector, latitude, longitude) in REGION_PLACES.items():
        partner_operations.update_region(
            regions[key],
            {
                "sector_id": sectors[sector].id,
                "latitude": Decimal(latitude),
                "longitude": Decimal(longitude),
            },
            actor=admin,
        )
    for key, name, kind, country, region, owner, latitude, longitude, about in SUPPLIERS:
        partners[key] = partner_operations.create_partner(
            {
                "name": name,
                "kind": kind,
                "country_code": country,
                "region_id": regions[region].id if region else None,
                "owner_id": users[owner].id,
                "latitude": Decimal(latitude),
                "longitude": Decimal(longitude),
                "description": about,
            },
            actor=users[owner],
        )
    for key, (latitude, longitude) in SITES.items():
        partner_operations.update_partner(
            partners[key],
            {"latitude": Decimal(latitude), "longitude": Decimal(longitude)},
            actor=partners[key].owner,
        )
    for key, provided in PROVIDES.items():
        partner = partners[key]
        for capability, capacity, unit in provided:
            operations.add_capability(
                partner,
                {
                    "capability_id": capabilities[capability].id,
                    "capacity": _number(capacity),
                    "capacity_unit": unit,
                },
                actor=partner.owner,
            )
    for buyer, capability, supplier, site, tonnes, mode, replaced in LINKS:
        operations.create_supply_link(
            {
                "buyer_id": partners[buyer].id,
                "supplier_id": partners[supplier].id,
                "capability_id": capabilities[capability].id,
                "site": site,
                "annual_tonnage": _number(tonnes),
                "transport_mode": mode,
                "replaced_country": replaced,
            },
            actor=partners[buyer].owner,
        )
