"""The demo data set behind `flask --app tracker seed-demo`.

A procurement team building EV-battery clusters in Hungary, Slovakia, Czechia and Poland and
automotive and electronics clusters in Nuevo León, Baja California and Tamaulipas. The tables
give every date as a day offset from `today()`, so the data tells the same story whenever it
is loaded: some items overdue, some due this week or month, a year of engagements behind.

Invented companies use `.example` web and mail domains; public bodies keep their real websites.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tracker.auth.models import Role, User
from tracker.auth.services import create_user, find_user_by_email
from tracker.commitments.models import (
    AnchorVolumeCommitment,
    CapacityExpansionCommitment,
    CoInvestment,
    CoLocationCommitment,
    CommitmentStatus,
    Contribution,
    Milestone,
    MilestoneStatus,
    TrainingProgramme,
    VolumePeriod,
)
from tracker.core.models import AuditEvent, FxRate
from tracker.core.types import today
from tracker.extensions import db
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
from tracker.partners.models import (
    Contact,
    Engagement,
    EngagementKind,
    FollowUp,
    Partner,
    PartnerKind,
    PartnerStatus,
    Region,
)

DEMO_PASSWORD = "demo-password-2026"

# (email, name, role); the tables below refer to a user by the part before the @.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin@example.com", "Alex Novak", Role.ADMIN),
    ("manager@example.com", "Katalin Varga", Role.MANAGER),
    ("manager2@example.com", "Diego Ramírez", Role.MANAGER),
    ("owner@example.com", "Jan Dvořák", Role.OWNER),
    ("owner2@example.com", "Mariana Treviño", Role.OWNER),
    ("viewer@example.com", "Helen Brandt", Role.VIEWER),
]

# fmt: off
# (key, name, country, sector focus)
REGIONS = [
    ("gyor", "Győr–Moson–Sopron", "HU", "EV battery & e-drive"),
    ("bratislava", "Bratislava", "SK", "EV battery, automotive"),
    ("brno", "South Moravia (Brno)", "CZ", "Electronics & automotive"),
    ("wroclaw", "Lower Silesia (Wrocław)", "PL", "EV batteries"),
    ("nuevo_leon", "Nuevo León", "MX", "Automotive & electronics"),
    ("baja", "Baja California", "MX", "Electronics, medical devices"),
    ("tamaulipas", "Tamaulipas", "MX", "Automotive, cross-border logistics"),
]

AGENCY = PartnerKind.ECONOMIC_AGENCY
CLUSTER = PartnerKind.CLUSTER_ALLIANCE
COUNCIL = PartnerKind.TRADE_COUNCIL
GOVERNMENT = PartnerKind.GOVERNMENT_BODY
EDUCATION = PartnerKind.EDUCATION_PROVIDER
TIER1 = PartnerKind.TIER1_SUPPLIER
TIER2 = PartnerKind.TIER2_SUPPLIER
LOGISTICS = PartnerKind.LOGISTICS_PROVIDER
TESTING = PartnerKind.TESTING_CERTIFICATION

ACTIVE = PartnerStatus.ACTIVE
PROSPECT = PartnerStatus.PROSPECT

# (key, name, kind, country, region, status, owner, website, cadence days,
#  next engagement (day offset), description)
PARTNERS = [
    ("hipa", "HIPA – Hungarian Investment Promotion Agency", AGENCY, "HU", "gyor", ACTIVE,
     "manager", "https://hipa.hu", 30, 6,
     "National investment agency; runs the VIP cash grant for large projects."),
    ("sario", "SARIO – Slovak Investment and Trade Development Agency", AGENCY, "SK",
     "bratislava", ACTIVE, "manager", "https://www.sario.sk", 30, 12,
     "Prepares investment aid applications with the Slovak Ministry of Economy."),
    ("czechinvest", "CzechInvest", AGENCY, "CZ", "brno", ACTIVE, "manager",
     "https://www.czechinvest.org", 30, -4,
     "Investment incentives, OP TAK programmes and the South Moravian regional office."),
    ("paih", "Polish Investment & Trade Agency (PAIH)", AGENCY, "PL", "wroclaw", ACTIVE,
     "manager", "https://www.paih.gov.pl", 30, 20,
     "Investor services and the Polish Investment Zone support decisions."),
    ("nl_economia", "Secretaría de Economía de Nuevo León", AGENCY, "MX", "nuevo_leon", ACTIVE,
     "manager2", "https://www.nl.gob.mx", 30, 3,
     "State ministry of economy: land, payroll-tax incentives and supplier development."),
    ("invest_tam", "Invest Tamaulipas", AGENCY, "MX", "tamaulipas", ACTIVE, "manager2", None,
     45, 25, "State investment promotion office for the border and Altamira corridors."),
    ("emobility_hu", "Hungarian E-Mobility Cluster", CLUSTER, "HU", "gyor", ACTIVE, "manager",
     None, 60, 40, "Battery, e-drive and charging companies around Győr and Budapest."),
    ("sba", "Slovak Battery Alliance", CLUSTER, "SK", "bratislava", ACTIVE, "manager", None, 60,
     None, "Industry alliance for the battery value chain in Slovakia."),
    ("msac", "Moravian-Silesian Automotive Cluster", CLUSTER, "CZ", "brno", ACTIVE, "manager",
     "https://www.autoklastr.cz", 90, None,
     "Automotive suppliers across Moravia; strong in Tier-2 machining and treatment."),
    ("claut", "Clúster Automotriz de Nuevo León (CLAUT)", CLUSTER, "MX", "nuevo_leon", ACTIVE,
     "manager2", "https://claut.com.mx", 60, 11,
     "Automotive cluster of OEMs, Tier-1s and Tier-2s in Nuevo León."),
    ("bc_cluster", "Baja California Electronics & Medical Devices Cluster", CLUSTER, "MX",
     "baja", ACTIVE, "manager2", None, 60, None,
     "Electronics and med-tech manufacturers in Tijuana and Mexicali."),
    ("battery_council", "Central European Battery Trade Council", COUNCIL, "HU", None, ACTIVE,
     "manager", None, 90, 75, "Trade council linking CEE battery suppliers with German OEMs."),
    ("mx_eu_council", "Mexico–EU Nearshoring Trade Council", COUNCIL, "MX", "nuevo_leon",
     ACTIVE, "manager2", None, 90, -9, "Bilateral council for European investors in Mexico."),
    ("ls_chamber", "Lower Silesian Chamber of Commerce", COUNCIL, "PL", "wroclaw",
     PartnerStatus.DORMANT, "manager", None, 90, None,
     "Regional chamber; paused after two meetings brought no supplier leads."),
    ("bc_ministry", "Secretaría de Economía e Innovación de Baja California", GOVERNMENT, "MX",
     "baja", ACTIVE, "manager2", "https://www.bajacalifornia.gob.mx", 60, 5,
     "State ministry; grants regulatory fast-tracking for new manufacturing sites."),
    ("sze", "Széchenyi István University", EDUCATION, "HU", "gyor", ACTIVE, "manager",
     "https://uni.sze.hu", 45, 30, "Vehicle engineering faculty and dual-training partner."),
    ("stu", "Slovak University of Technology in Bratislava", EDUCATION, "SK", "bratislava",
     ACTIVE, "manager", "https://www.stuba.sk", None, None,
     "Electrical engineering faculty; battery management systems research."),
    ("conalep", "CONALEP Nuevo León", EDUCATION, "MX", "nuevo_leon", ACTIVE, "manager2",
     "https://www.conalep.edu.mx", 60, 18,
     "Public technical colleges; runs our harness and electronics technician cohorts."),
    ("gyor_dual", "Győr-Moson-Sopron Dual Vocational Training Centre", EDUCATION, "HU", "gyor",
     ACTIVE, "manager", None, None, None, "Vocational centre for mechatronics apprentices."),
    ("voltmodul", "Voltmodul Kft.", TIER1, "HU", "gyor", ACTIVE, "manager",
     "https://www.voltmodul.example", 30, 2, "48V and high-voltage battery module assembler."),
    ("danube_edrive", "Danube E-Drive s.r.o.", TIER1, "SK", "bratislava", ACTIVE, "manager",
     "https://www.danube-edrive.example", 30, 8, "Integrated e-axles and inverters."),
    ("sierra_harness", "Sierra Madre Harness S.A. de C.V.", TIER1, "MX", "nuevo_leon", ACTIVE,
     "manager2", "https://www.sierramadre-harness.example", 30, None,
     "High-voltage and low-voltage wiring harnesses; plants in Apodaca and Reynosa."),
    ("odra_cell", "Odra Cell Systems Sp. z o.o.", TIER1, "PL", "wroclaw", PROSPECT, "manager",
     "https://www.odracell.example", None, 16, "Battery module and pack assembler."),
    ("pacifica", "Pacífica Electrónica S.A. de C.V.", TIER1, "MX", "baja", ACTIVE, "manager2",
     "https://www.pacifica-electronica.example", 45, None,
     "Power electronics and on-board chargers."),
    ("mosoni_tooling", "Mosoni Precision Tooling Kft.", TIER2, "HU", "gyor", ACTIVE, "manager",
     None, None, None, "Assembly fixtures, end-of-line test tooling, stamping dies."),
    ("moravia_heat", "Moravia Heat Treatment s.r.o.", TIER2, "CZ", "brno", ACTIVE, "manager",
     None, None, None, "Vacuum hardening and induction treatment of e-drive shafts and gears."),
    ("moldes_norte", "Moldes del Norte S.A. de C.V.", TIER2, "MX", "nuevo_leon", ACTIVE,
     "manager2", "https://www.moldesdelnorte.example", None, None,
     "Injection mold-maker for connector housings and battery trays."),
    ("tijuana_pcb", "Tijuana Circuit Etching S. de R.L. de C.V.", TIER2, "MX", "baja", PROSPECT,
     "manager2", None, None, None, "PCB etching and plating; candidate to replace Asian boards."),
    ("silesia_die", "Silesia Die & Stamping Sp. z o.o.", TIER2, "PL", "wroclaw",
     PartnerStatus.ARCHIVED, "manager", None, None, None,
     "Withdrew after an ownership change; kept for history."),
    ("danube_logistics", "Danube Gateway Logistics Kft.", LOGISTICS, "HU", "gyor", ACTIVE,
     "manager", None, None, None, "Cross-dock and milk runs between Győr and Bratislava."),
    ("frontera_logistics", "Frontera Norte Logistics S.A. de C.V.", LOGISTICS, "MX",
     "tamaulipas", ACTIVE, "manager2", None, None, None,
     "Cross-border trucking and customs brokerage at Nuevo Laredo."),
    ("voltcert", "VoltCert Battery Testing s.r.o.", TESTING, "CZ", "brno", ACTIVE, "manager",
     "https://www.voltcert.example", 45, None,
     "Abuse, climate and vibration testing of battery modules; ISO/IEC 17025 scope."),
    ("lab_noreste", "Laboratorio de Certificación del Noreste", TESTING, "MX", "nuevo_leon",
     PROSPECT, "manager2", None, None, None, "EMC and environmental testing lab in Monterrey."),
    ("gyor_park", "Győr North Industrial Park Kft.", PartnerKind.OTHER, "HU", "gyor", ACTIVE,
     "manager", None, None, None, "Park operator; landlord for the co-located suppliers."),
]

# (partner, name, job title, email, phone)
CONTACTS = [
    ("hipa", "Zsófia Németh", "Senior Project Manager, Automotive",
     "zsofia.nemeth@hipa.example", "+36 1 872 6541"),
    ("hipa", "Gábor Szabó", "Director, Investment Incentives",
     "gabor.szabo@hipa.example", "+36 1 872 6502"),
    ("sario", "Martina Kováčová", "Investor Relations Manager",
     "martina.kovacova@sario.example", "+421 2 5826 0412"),
    ("sario", "Peter Horváth", "Head of Incentives Advisory",
     "peter.horvath@sario.example", "+421 2 5826 0388"),
    ("czechinvest", "Tomáš Procházka", "Regional Office Director, South Moravia",
     "tomas.prochazka@czechinvest.example", "+420 541 212 318"),
    ("paih", "Agnieszka Wójcik", "Key Account Manager, E-mobility",
     "agnieszka.wojcik@paih.example", "+48 22 334 9871"),
    ("paih", "Michał Zieliński", "Investor Services, Lower Silesia",
     "michal.zielinski@paih.example", "+48 71 776 2210"),
    ("nl_economia", "Fernanda Garza", "Directora de Atracción de Inversión",
     "fernanda.garza@nl-economia.example", "+52 81 2020 6712"),
    ("nl_economia", "Roberto Salinas", "Coordinador de Parques Industriales",
     "roberto.salinas@nl-economia.example", "+52 81 2020 6790"),
    ("invest_tam", "Alejandro Cantú", "Director of Investment Projects",
     "alejandro.cantu@investtam.example", "+52 834 318 4400"),
    ("emobility_hu", "András Tóth", "Cluster Manager",
     "andras.toth@emobility-cluster.example", "+36 96 503 410"),
    ("sba", "Lucia Novotná", "Executive Director",
     "lucia.novotna@battery-alliance.example", "+421 905 318 227"),
    ("msac", "Pavel Kučera", "Cluster Manager",
     "pavel.kucera@autocluster.example", "+420 597 321 640"),
    ("claut", "Luis Villarreal", "Director de Desarrollo de Proveedores",
     "luis.villarreal@claut.example", "+52 81 8000 1543"),
    ("claut", "Sofía Elizondo", "Coordinadora de Proyectos",
     "sofia.elizondo@claut.example", "+52 81 8000 1560"),
    ("bc_cluster", "Carlos Medina", "President",
     "carlos.medina@bc-electronics.example", "+52 664 634 2210"),
    ("bc_ministry", "Laura Castañeda", "Subsecretaria de Inversión",
     "laura.castaneda@bc-economia.example", "+52 686 558 1100"),
    ("sze", "Éva Horváth", "Vice-Rector for Industry Relations",
     "eva.horvath@sze.example", "+36 96 613 520"),
    ("sze", "Bence Kiss", "Dual Training Coordinator", "bence.kiss@sze.example", "+36 96 613 587"),
    ("stu", "Juraj Baláž", "Vice-Dean for External Relations",
     "juraj.balaz@stu.example", "+421 2 6029 1455"),
    ("conalep", "Patricia Leal", "Directora de Plantel, Apodaca",
     "patricia.leal@conalep-nl.example", "+52 81 8386 2290"),
    ("voltmodul", "Krisztián Molnár", "Managing Director",
     "krisztian.molnar@voltmodul.example", "+36 96 555 010"),
    ("voltmodul", "Réka Farkas", "Key Account Manager",
     "reka.farkas@voltmodul.example", "+36 30 412 7781"),
    ("voltmodul", "Levente Papp", "Quality Manager",
     "levente.papp@voltmodul.example", "+36 30 412 7795"),
    ("danube_edrive", "Michal Šimko", "Plant Manager",
     "michal.simko@danube-edrive.example", "+421 2 4910 3300"),
    ("danube_edrive", "Zuzana Kráľová", "Sales Director",
     "zuzana.kralova@danube-edrive.example", "+421 917 552 104"),
    ("sierra_harness", "Jorge Ibarra", "Director General",
     "jorge.ibarra@sierramadre-harness.example", "+52 81 1234 8800"),
    ("sierra_harness", "Ana Lucía Montemayor", "Program Manager, HV Harness",
     "analucia.montemayor@sierramadre-harness.example", "+52 81 1234 8842"),
    ("odra_cell", "Krzysztof Nowak", "CEO", "krzysztof.nowak@odracell.example", "+48 71 310 4400"),
    ("pacifica", "Ricardo Ochoa", "Operations Director",
     "ricardo.ochoa@pacifica-electronica.example", "+52 664 971 3020"),
    ("mosoni_tooling", "Attila Balogh", "Owner & Managing Director",
     "attila.balogh@mosoni-tooling.example", "+36 96 220 145"),
    ("moravia_heat", "Lenka Veselá", "Sales Engineer",
     "lenka.vesela@moravia-heat.example", "+420 545 110 762"),
    ("moldes_norte", "Héctor Cavazos", "Director Comercial",
     "hector.cavazos@moldesdelnorte.example", "+52 81 8331 4075"),
    ("danube_logistics", "Norbert Fekete", "Contract Logistics Manager",
     "norbert.fekete@danube-gateway.example", "+36 96 881 230"),
    ("frontera_logistics", "Gabriela Saldívar", "Cross-border Operations Manager",
     "gabriela.saldivar@frontera-norte.example", "+52 867 711 5090"),
    ("voltcert", "Radek Marek", "Laboratory Director",
     "radek.marek@voltcert.example", "+420 543 210 980"),
    ("voltcert", "Kateřina Horáková", "Business Development",
     "katerina.horakova@voltcert.example", "+420 543 210 915"),
]

# (currency, EUR per unit, effective on): a quarter-old rate for each, a recent one for some.
FX_RATES = [
    ("HUF", Decimal("0.002540"), -120),
    ("CZK", Decimal("0.039800"), -120),
    ("PLN", Decimal("0.231000"), -120),
    ("MXN", Decimal("0.047500"), -120),
    ("USD", Decimal("0.921000"), -120),
    ("HUF", Decimal("0.002492"), -10),
    ("MXN", Decimal("0.046200"), -10),
    ("USD", Decimal("0.879000"), -10),
]

MEETING = EngagementKind.MEETING
CALL = EngagementKind.CALL
SITE_VISIT = EngagementKind.SITE_VISIT
WORKSHOP = EngagementKind.WORKSHOP
MOU = EngagementKind.MOU_SIGNING
EVENT = EngagementKind.EVENT

# (occurred on, kind, partners, attendees (the first logged it), subject, summary, outcome,
#  follow-ups as (title, owner, due on, done on))
ENGAGEMENTS = [
    (-358, MEETING, ("hipa", "voltmodul"), ("manager", "owner"),
     "Győr battery module plant: kick-off with HIPA",
     ("Presented the cluster-led sourcing plan for 48V and HV modules. HIPA walked through "
      "VIP cash grant eligibility and the regional aid ceiling for Győr–Moson–Sopron."),
     "HIPA nominates an account manager; Voltmodul to share capex phasing for a second line.",
     [("Send capex phasing and headcount ramp to HIPA", "manager", -344, -346),
      ("Get Voltmodul's line-2 capex plan", "owner", -340, -337)]),
    (-350, CALL, ("czechinvest",), ("manager",),
     "CzechInvest: incentive options for a Brno test centre",
     "Screened OP TAK and the investment incentive act for a shared battery test centre.",
     "Training grant and soft loan look viable; cash grant does not for a lab of this size.",
     [("Draft a one-page test centre concept for CzechInvest", "manager", -336, -335)]),
    (-341, SITE_VISIT, ("voltmodul", "mosoni_tooling"), ("owner", "manager"),
     "Line audit at Voltmodul and Mosoni Tooling",
     ("Walked the module line and Mosoni's tool room. Fixture lead times are 14 weeks; "
      "end-of-line testers still come from Asia."),
     "Mosoni can build EOL test fixtures locally if volumes are confirmed.",
     [("Share 3-year fixture demand with Mosoni", "owner", -320, -318)]),
    (-330, WORKSHOP, ("claut", "sierra_harness", "moldes_norte"), ("manager2", "owner2"),
     "CLAUT supplier-density mapping workshop, Monterrey",
     ("Mapped harness, molding and PCB capacity in Nuevo León against our 2026 bill of "
      "materials. Gaps: large-tonnage molds, PCB etching, EMC testing."),
     "CLAUT proposes a supplier development fund co-financed by the state.",
     [("Circulate the density heat map to leadership", "manager2", -320, -322),
      ("Sound out Secretaría de Economía on fund co-financing", "manager2", -310, -305)]),
    (-322, MEETING, ("nl_economia",), ("manager2", "viewer"),
     "Apodaca supplier park: land offer",
     ("State offered 12 ha in the Apodaca supplier park at a discounted price against a "
      "jobs and capex plan."),
     "Land incentive to be prepared; jobs target of 600 discussed.",
     [("Prepare jobs and capex plan for the land application", "manager2", -300, -302)]),
    (-310, EVENT, ("emobility_hu", "battery_council"), ("manager",),
     "E-mobility cluster annual forum, Győr",
     "Panel on battery supply chains; met three Tier-2 candidates for busbars and tooling.",
     "Two Tier-2 introductions worth following up.",
     [("Send RFI to the busbar makers met at the forum", "manager", -296, -299)]),
    (-301, MOU, ("hipa", "sze"), ("manager", "owner", "viewer"),
     "MoU: battery technician pipeline with Széchenyi István University",
     ("Signed a three-party MoU on a dual programme for battery technicians, with HIPA "
      "counting the training hours towards the grant obligations."),
     "Curriculum workgroup set up; first cohort targeted for the autumn.",
     [("Nominate two engineers to the curriculum workgroup", "owner", -290, -291)]),
    (-290, CALL, ("sario",), ("manager",),
     "SARIO: e-drive investment aid pre-check",
     "SARIO checked the Bratislava e-drive project against the regional aid map.",
     ("Income tax relief is the best fit; cash grant capped because Bratislava is a "
      "developed region."),
     [("Send SARIO the investment plan template", "manager", -280, -281)]),
    (-281, SITE_VISIT, ("danube_edrive", "danube_logistics"), ("owner", "manager"),
     "Danube E-Drive Bratislava plant visit",
     "Reviewed the e-axle line and the milk-run to Győr with Danube Gateway.",
     "Danube E-Drive ready to quote for an anchor volume of 9,000 units a quarter.",
     [("Issue the anchor-volume RFQ to Danube E-Drive", "owner", -265, -262)]),
    (-270, MEETING, ("invest_tam", "frontera_logistics"), ("manager2",),
     "Nuevo Laredo rail spur and pre-clearance yard",
     ("Invest Tamaulipas pitched state funding for a rail spur and customs pre-clearance "
      "yard shared with Frontera Norte."),
     "Infrastructure incentive to be applied for; Frontera Norte to provide traffic data.",
     [("Collect cross-border volume forecast from Frontera Norte", "manager2", -255, -258)]),
    (-262, WORKSHOP, ("sba", "stu"), ("manager", "owner"),
     "Slovak Battery Alliance: cell-to-pack skills gap workshop",
     "Alliance members and STU compared hiring plans; BMS and HV safety skills are short.",
     "STU open to a traineeship programme co-designed with us.",
     []),
    (-250, MOU, ("nl_economia", "claut"), ("manager2", "owner2", "viewer"),
     "MoU: Nuevo León supplier development fund",
     ("Signed the MoU for a MXN 45m fund to upgrade Tier-2 suppliers, co-financed by the "
      "state, CLAUT and us."),
     "Steering committee to approve fund rules within a month.",
     [("Draft fund rules with CLAUT", "manager2", -235, -229)]),
    (-241, MEETING, ("paih", "odra_cell"), ("manager",),
     "Wrocław: Odra Cell second-line scoping with PAIH",
     ("Odra Cell presented a 2.5 GWh second module line; PAIH explained the Polish "
      "Investment Zone criteria."),
     "Worth pursuing once our volume outlook for 2027 is firm.",
     [("Confirm 2027 module volumes with central planning", "owner", -200, None)]),
    (-233, CALL, ("voltcert",), ("owner",),
     "VoltCert: shared battery test centre concept",
     ("Discussed sharing an abuse-test bunker and climate chambers between us, VoltCert and "
      "cluster members."),
     "VoltCert interested; wants a co-investment term sheet.",
     [("Send co-investment term sheet to VoltCert", "owner", -220, -216)]),
    (-224, SITE_VISIT, ("pacifica", "tijuana_pcb"), ("manager2", "owner2"),
     "Tijuana: Pacífica Electrónica and PCB etching audit",
     "Audited Pacífica's charger line and Tijuana Circuit Etching's plating shop.",
     "Etching capacity fine; IPC class 3 capability not yet proven.",
     [("Ask Tijuana Circuit Etching for IPC class 3 samples", "owner2", -200, None)]),
    (-215, MEETING, ("czechinvest", "voltcert"), ("manager", "owner"),
     "Brno test centre: co-funding structure",
     "Agreed to split the test centre into a co-investment and a separate training grant.",
     "CzechInvest to advise on the training grant timetable.",
     [("Book the training grant pre-consultation", "manager", -190, -193)]),
    (-205, EVENT, ("mx_eu_council",), ("manager2", "viewer"),
     "Mexico–EU Nearshoring Forum, Monterrey",
     "Spoke on cluster-led sourcing; met Baja California's investment team.",
     "Introduction to the Baja California ministry on permit fast-tracking.",
     [("Follow up with Baja California on fast-track permits", "manager2", -190, -186)]),
    (-196, CALL, ("ls_chamber",), ("manager",),
     "Lower Silesian Chamber: supplier introductions",
     "Asked for stamping and busbar suppliers near Wrocław.",
     "No new leads; relationship set to dormant.",
     []),
    (-188, WORKSHOP, ("conalep", "sierra_harness"), ("owner2",),
     "CONALEP curriculum design: harness and electronics technicians",
     ("Built a four-cohort curriculum with Sierra Madre's trainers: crimping, HV safety, "
      "IPC/WHMA-A-620."),
     "Curriculum to be signed off with CLAUT.",
     [("Send curriculum to CLAUT for sign-off", "owner2", -175, -176)]),
    (-179, MEETING, ("sario", "danube_edrive"), ("manager", "owner"),
     "SARIO investment aid application review",
     "Went through the application line by line; SARIO asked for a firmer jobs ramp.",
     "Application filed after revising the jobs ramp to 180 FTE.",
     [("Revise the jobs ramp with Danube E-Drive HR", "manager", -185, -184)]),
    (-170, SITE_VISIT, ("moldes_norte",), ("owner2", "manager2"),
     "Moldes del Norte: large-tonnage press bay",
     "Reviewed the bay for a 1,500 t press; crane capacity and foundation need upgrading.",
     "Capacity expansion commitment agreed in principle.",
     [("Agree milestone plan for the press bay", "owner2", -160, -158)]),
    (-161, CALL, ("invest_tam",), ("manager2",),
     "Invest Tamaulipas: infrastructure decision timeline",
     "State budget committee meets next quarter; decision on the rail spur then.",
     None,
     []),
    (-152, MEETING, ("gyor_park", "voltmodul", "mosoni_tooling"), ("owner", "manager"),
     "Győr North Industrial Park: co-location layout",
     ("Laid out halls C and D so Mosoni's tool room sits next to Voltmodul's line, with a "
      "shared goods-in dock."),
     "Heads of terms agreed with the park operator.",
     [("Circulate heads of terms for legal review", "owner", -140, -141)]),
    (-143, WORKSHOP, ("msac", "moravia_heat", "voltcert"), ("manager", "owner"),
     "Automotive cluster Tier-2 capability day, Brno",
     "Moravian Tier-2s pitched heat treatment, machining and testing capacity.",
     "Moravia Heat Treatment qualified as second source for e-drive shafts.",
     [("Start PPAP for shafts at Moravia Heat Treatment", "owner", -100, -96)]),
    (-134, CALL, ("hipa",), ("manager",),
     "HIPA: first annual compliance report scope",
     "Agreed which headcount and capex evidence HIPA needs in the year-1 report.",
     "Payroll extracts and audited capex ledger are sufficient.",
     [("Request audited capex ledger from finance", "manager", -60, -58)]),
    (-125, SITE_VISIT, ("sierra_harness", "frontera_logistics"), ("owner2",),
     "Sierra Madre Harness: Reynosa to Nuevo Laredo flow",
     "Followed a harness shipment from Reynosa through the Nuevo Laredo crossing.",
     "Consolidation at the Frontera Norte cross-dock saves a day per shipment.",
     []),
    (-116, MEETING, ("bc_ministry", "bc_cluster"), ("manager2",),
     "Baja California: fast-track permits for the Tijuana site",
     "Ministry described the fast-track for environmental and IMMEX permits.",
     "Application window opens next year; prepare the file early.",
     [("Assemble environmental baseline for the Tijuana site", "manager2", -30, None)]),
    (-107, EVENT, ("sba", "sario"), ("manager", "viewer"),
     "Slovak Battery Alliance conference, Bratislava",
     "Keynote on regional battery ecosystems; SARIO confirmed the aid decision is close.",
     None,
     []),
    (-98, CALL, ("invest_tam",), ("manager2",),
     "Invest Tamaulipas: rail spur decision",
     "Informed that the rail spur application is not funded this year.",
     "Rejected; funds moved to the Altamira port corridor. May reopen next fiscal year.",
     [("Brief leadership on alternatives to the rail spur", "manager2", -90, -91)]),
    (-90, MEETING, ("paih",), ("manager", "owner"),
     "PAIH: Polish Investment Zone decision preparation",
     "Reviewed eligibility for Odra Cell line 2; the application must come from us as anchor.",
     "Preparing the support decision application.",
     [("Collect Odra Cell's cost plan for the application", "manager", 5, None)]),
    (-80, WORKSHOP, ("sze", "gyor_dual", "voltmodul"), ("owner", "manager"),
     "Dual programme: cohort 2 intake planning",
     "Planned cohort 2 intake and shop-floor rotations at Voltmodul.",
     "Intake of 30 confirmed; cell-handling lab equipment still missing.",
     [("Order cell-handling lab equipment", "owner", -40, None)]),
    (-70, MOU, ("voltcert", "czechinvest"), ("owner", "manager", "viewer"),
     "Brno shared battery test centre: co-investment agreement",
     "Signed the co-investment agreement for the shared test centre.",
     "Budget CZK 180m; permit application filed by VoltCert.",
     [("Set up the steering committee calendar", "owner", -55, -56)]),
    (-61, CALL, ("danube_edrive",), ("owner",),
     "NVH test bench: specification freeze",
     "Froze the bench specification; STU contributes the data acquisition chain.",
     None,
     []),
    (-52, MEETING, ("nl_economia",), ("manager2", "owner2"),
     "Apodaca plot: road access and water connection delays",
     "State public works changed contractor; road and water connection now late.",
     "Escalated to the Secretaría; new date not confirmed.",
     [("Write to the Secretaría requesting a recovery plan", "manager2", -45, -46),
      ("Get a recovery date from state public works", "manager2", -10, None)]),
    (-44, SITE_VISIT, ("odra_cell", "paih"), ("manager", "owner"),
     "Odra Cell: plot and grid capacity visit, Wrocław",
     "Visited the plot for line 2; grid connection needs a new 110 kV bay.",
     "Grid operator meeting requested by PAIH.",
     [("Attend grid operator meeting with PAIH", "manager", 9, None)]),
    (-35, CALL, ("invest_tam", "conalep"), ("manager2", "owner2"),
     "Invest Tamaulipas: training subsidy clawback notice",
     ("State claimed back part of the Reynosa training subsidy after harness cutting moved "
      "to Apodaca."),
     "Repayment of MXN 2.4m agreed; trainees offered transfers.",
     [("Confirm repayment with finance", "manager2", -25, -27)]),
    (-27, MEETING, ("hipa", "gyor_park"), ("manager",),
     "HIPA and park operator: 40 MVA grid upgrade slip",
     "Utility now quotes three more months for the grid upgrade.",
     "HIPA to escalate with the utility; we plan temporary generators.",
     [("Quote temporary generators for hall C", "owner", -7, None),
      ("Follow up with HIPA on the utility escalation", "manager", 4, None)]),
    (-18, WORKSHOP, ("bc_cluster", "pacifica", "tijuana_pcb"), ("manager2",),
     "Baja California electronics cluster: PCB localisation roadmap",
     "Agreed a two-year roadmap to move charger PCBs from Asia to Tijuana.",
     "Co-location at El Florido on hold until the fast-track permit decision.",
     [("Draft the fast-track permit application", "manager2", 20, None)]),
    (-10, CALL, ("czechinvest",), ("manager",),
     "CzechInvest: training grant clarification questions",
     "CzechInvest asked for trainee job descriptions and wage levels.",
     None,
     [("Answer CzechInvest clarification questions", "manager", 3, None)]),
    (-6, MEETING, ("claut", "sierra_harness", "moldes_norte"), ("manager2", "owner2"),
     "CLAUT quarterly supplier development review",
     "Eight funded Tier-2 projects reviewed; two are behind on equipment delivery.",
     "Mid-term review of the fund brought forward.",
     [("Prepare the fund mid-term review pack", "owner2", 12, None)]),
    (-3, CALL, ("lab_noreste",), ("owner2",),
     "Laboratorio del Noreste: EMC testing scope",
     "Introductory call on EMC and environmental testing for chargers.",
     "Lab to send accreditation scope and price list.",
     [("Review the lab's accreditation scope", "owner2", 25, None)]),
    (-2, MEETING, ("sario", "stu"), ("manager", "owner"),
     "SARIO and STU: battery engineering traineeships",
     "Discussed co-funding traineeships through the aid scheme's training budget.",
     "Framework agreement with STU to be drafted.",
     [("Draft the STU framework agreement", "owner", 14, None)]),
]

# Incentives. `path` is the pipeline history, (status, on, note): the last step is the
# current status. Obligations: (kind, description, target, unit, actual, actual as of, due on);
# compliance reports: (title, due on, submitted on, note); promises: (kind, description,
# due on, status, delivered on, amount, note).
INCENTIVES: list[dict[str, Any]] = [
    {
        "key": "hipa_grant",
        "title": "VIP cash grant – Győr battery module plant",
        "kind": IncentiveKind.GRANT,
        "partner": "hipa",
        "region": "gyor",
        "owner": "manager",
        "description": "Government-decision cash grant towards two module lines, end-of-line "
        "testing and a logistics hall in Győr.",
        "currency": "HUF",
        "amount_offered": Decimal("4_500_000_000"),
        "amount_awarded": Decimal("4_200_000_000"),
        "amount_received": Decimal("2_520_000_000"),
        "application_deadline": -530,
        "decision_expected_on": -440,
        "awarded_on": -425,
        "term_start_on": -400,
        "term_end_on": 1425,
        "clawback_terms": "Jobs and capex must be reached by the end of the term and held for "
        "five years. A shortfall is repaid pro rata, with interest at the central bank base "
        "rate plus 2 points from disbursement.",
        "clawback_rule": ClawbackRule.PRO_RATA,
        "clawback_interest_pct": Decimal("8.500"),
        "is_state_aid": True,
        "aid_scheme_number": "SA.58314",
        "aid_type": "Regional investment aid",
        "nace_code": "27.20",
        "aid_granted_on": -425,
        "path": [
            (IncentiveStatus.IDENTIFIED, -610, "Raised by HIPA during site scouting."),
            (IncentiveStatus.PREPARING, -575, "Feasibility study and capex plan commissioned."),
            (IncentiveStatus.SUBMITTED, -530, "Filed with the capex and jobs schedule."),
            (IncentiveStatus.AWARDED, -425, "Government decision published; agreement signed."),
            (IncentiveStatus.IN_COMPLIANCE, -400, "Term started; first instalment received."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "Net new FTE at the Győr plant, held five years",
             Decimal("350"), "FTE", Decimal("212"), -30, 700),
            (ObligationKind.CAPEX, "Eligible capital investment",
             Decimal("42000"), "HUF m", Decimal("27450"), -30, 365),
            (ObligationKind.WAGES, "Average gross wage against the county average",
             Decimal("120"), "% of county avg", Decimal("124"), -60, 700),
            (ObligationKind.TRAINING_HOURS, "Accredited technician training hours",
             Decimal("24000"), "hours", Decimal("9850"), -30, 540),
        ],
        "reports": [
            ("Annual project report – year 1", -30, -34, "Accepted by HIPA without queries."),
            ("Half-year headcount statement", 9, None, None),
            ("Annual project report – year 2", 335, None, None),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Building permit for module hall B within 60 days",
             -330, PromiseStatus.DELIVERED, -338, None, "Issued eight days early."),
            (PromiseKind.INFRASTRUCTURE, "20 kV grid upgrade to 40 MVA at the plant boundary",
             -21, PromiseStatus.PENDING, None, None,
             "Utility now quotes three more months; escalated to HIPA."),
            (PromiseKind.DISBURSEMENT, "Second grant instalment", 45, PromiseStatus.PENDING,
             None, Decimal("840_000_000"), None),
        ],
    },
    {
        "key": "sario_tax",
        "title": "Income tax relief – Bratislava e-drive plant",
        "kind": IncentiveKind.TAX_CREDIT,
        "partner": "sario",
        "region": "bratislava",
        "owner": "manager",
        "currency": "EUR",
        "amount_offered": Decimal("12_000_000"),
        "amount_awarded": Decimal("9_600_000"),
        "application_deadline": -190,
        "decision_expected_on": -75,
        "awarded_on": -62,
        "term_start_on": -10,
        "term_end_on": 3640,
        "clawback_terms": "If eligible costs or jobs fall below 80% of plan, all relief "
        "claimed is repayable with default interest.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("80"),
        "clawback_interest_pct": Decimal("5.000"),
        "is_state_aid": True,
        "aid_scheme_number": "SA.61240",
        "aid_type": "Regional investment aid – income tax relief",
        "nace_code": "27.11",
        "aid_granted_on": -62,
        "path": [
            (IncentiveStatus.IDENTIFIED, -300, None),
            (IncentiveStatus.PREPARING, -262, "Investment plan drafted with Danube E-Drive."),
            (IncentiveStatus.SUBMITTED, -190, "Filed through SARIO."),
            (IncentiveStatus.AWARDED, -62, "Ministry decision: EUR 9.6m of relief."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "New jobs at the Bratislava e-drive plant",
             Decimal("180"), "FTE", Decimal("22"), -15, 1080),
            (ObligationKind.CAPEX, "Eligible costs in tangible and intangible assets",
             Decimal("45"), "EUR m", Decimal("6.2"), -15, 1080),
            (ObligationKind.LOCAL_CONTENT, "Components bought from Slovak suppliers",
             Decimal("30"), "%", None, None, 1440),
        ],
        "reports": [("First annual report to the Ministry of Economy", 300, None, None)],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "EIA screening decision within 45 days", 19,
             PromiseStatus.PENDING, None, None, None),
        ],
    },
    {
        "key": "czech_training",
        "title": "Training grant – Brno test centre technicians",
        "kind": IncentiveKind.TRAINING_SUBSIDY,
        "partner": "czechinvest",
        "region": "brno",
        "owner": "manager",
        "currency": "CZK",
        "amount_offered": Decimal("14_500_000"),
        "application_deadline": -42,
        "decision_expected_on": 25,
        "clawback_terms": "Repay pro rata for trainees who leave within 12 months.",
        "clawback_rule": ClawbackRule.PRO_RATA,
        "is_state_aid": True,
        "aid_scheme_number": "SA.58120",
        "aid_type": "Training aid",
        "nace_code": "71.20",
        "path": [
            (IncentiveStatus.IDENTIFIED, -150, "Split out of the test centre co-funding."),
            (IncentiveStatus.PREPARING, -112, None),
            (IncentiveStatus.SUBMITTED, -42, "Submitted on the last day of the call."),
        ],
        "obligations": [
            (ObligationKind.TRAINING_HOURS, "Certified training hours for test-centre staff",
             Decimal("8000"), "hours", None, None, 500),
        ],
        "promises": [
            (PromiseKind.TRAINING_FUNDS, "30% advance of the training grant on award", 60,
             PromiseStatus.PENDING, None, Decimal("4_350_000"), None),
        ],
    },
    {
        "key": "paih_zone",
        "title": "Polish Investment Zone CIT exemption – Odra Cell line 2",
        "kind": IncentiveKind.TAX_ABATEMENT,
        "partner": "paih",
        "region": "wroclaw",
        "owner": "manager",
        "currency": "PLN",
        "amount_offered": Decimal("85_000_000"),
        "application_deadline": 12,
        "decision_expected_on": 75,
        "clawback_terms": "The exemption is withdrawn in full if investment or jobs stay "
        "below 90% of the support decision.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("90"),
        "is_state_aid": True,
        "aid_scheme_number": "SA.102468",
        "aid_type": "Regional investment aid – CIT exemption",
        "nace_code": "27.20",
        "path": [
            (IncentiveStatus.IDENTIFIED, -95, None),
            (IncentiveStatus.PREPARING, -48, "Waiting for Odra Cell's cost plan."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "New jobs under the support decision",
             Decimal("120"), "FTE", None, None, 1100),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Support decision 30 days after a full application",
             45, PromiseStatus.PENDING, None, None, None),
        ],
    },
    {
        "key": "nl_land",
        "title": "Discounted land – Apodaca supplier park (12 ha)",
        "kind": IncentiveKind.LAND,
        "partner": "nl_economia",
        "region": "nuevo_leon",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("96_000_000"),
        "amount_awarded": Decimal("96_000_000"),
        "amount_received": Decimal("96_000_000"),
        "application_deadline": -380,
        "decision_expected_on": -310,
        "awarded_on": -300,
        "term_start_on": -255,
        "term_end_on": 845,
        "clawback_terms": "Below 70% of committed jobs at the end of the term the state may "
        "buy the land back at the discounted price or charge the full discount.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("70"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -430, None),
            (IncentiveStatus.PREPARING, -400, None),
            (IncentiveStatus.SUBMITTED, -380, None),
            (IncentiveStatus.AWARDED, -300, "Land transfer agreement signed."),
            (IncentiveStatus.IN_COMPLIANCE, -255, "Title registered."),
        ],
        "obligations": [
            (ObligationKind.JOBS, "Direct jobs on the Apodaca site",
             Decimal("600"), "jobs", Decimal("415"), -20, 300),
            (ObligationKind.CAPEX, "Investment in plant and equipment",
             Decimal("60"), "USD m", Decimal("38.5"), -20, 480),
            (ObligationKind.LOCAL_CONTENT, "Purchases from Nuevo León suppliers",
             Decimal("35"), "%", Decimal("28"), -40, 480),
        ],
        "reports": [
            ("Quarterly employment report (IMSS records) – Q1", -105, -108, None),
            ("Quarterly employment report (IMSS records) – Q2", -12, None,
             "Waiting for payroll extract from the Apodaca plant."),
            ("Quarterly employment report (IMSS records) – Q3", 79, None, None),
        ],
        "promises": [
            (PromiseKind.PERMIT_FAST_TRACK, "Land-use and construction licence within 30 days",
             -270, PromiseStatus.DELIVERED, -275, None, None),
            (PromiseKind.INFRASTRUCTURE, "Paved road access and 40 l/s water connection", -45,
             PromiseStatus.PENDING, None, None, "Contractor changed; no new date confirmed."),
        ],
    },
    {
        "key": "tam_rail",
        "title": "Rail spur and pre-clearance yard – Nuevo Laredo",
        "kind": IncentiveKind.INFRASTRUCTURE,
        "partner": "invest_tam",
        "region": "tamaulipas",
        "owner": "manager2",
        "currency": "USD",
        "amount_offered": Decimal("8_500_000"),
        "application_deadline": -172,
        "decision_expected_on": -95,
        "path": [
            (IncentiveStatus.IDENTIFIED, -265, None),
            (IncentiveStatus.PREPARING, -225, "Traffic data from Frontera Norte."),
            (IncentiveStatus.SUBMITTED, -172, None),
            (IncentiveStatus.REJECTED, -95,
             "Funds moved to the Altamira port corridor; may reopen next fiscal year."),
        ],
    },
    {
        "key": "bc_fast_track",
        "title": "Fast-track environmental and IMMEX permits – Tijuana electronics site",
        "kind": IncentiveKind.REGULATORY_FAST_TRACK,
        "partner": "bc_ministry",
        "region": "baja",
        "owner": "manager2",
        "currency": "MXN",
        "application_deadline": 27,
        "decision_expected_on": 90,
        "path": [(IncentiveStatus.IDENTIFIED, -14, "Window confirmed at the cluster workshop.")],
    },
    {
        "key": "czech_loan",
        "title": "OP TAK soft loan – Brno electronics line",
        "kind": IncentiveKind.LOAN,
        "partner": "czechinvest",
        "region": "brno",
        "owner": "manager",
        "currency": "CZK",
        "amount_offered": Decimal("40_000_000"),
        "amount_awarded": Decimal("40_000_000"),
        "amount_received": Decimal("40_000_000"),
        "application_deadline": -880,
        "decision_expected_on": -800,
        "awarded_on": -790,
        "term_start_on": -760,
        "term_end_on": -20,
        "clawback_terms": "Early repayment if the financed assets are sold within five years.",
        "clawback_rule": ClawbackRule.NONE,
        "is_state_aid": True,
        "aid_scheme_number": "SA.47855",
        "aid_type": "Soft loan – regional aid",
        "nace_code": "26.11",
        "aid_granted_on": -790,
        "path": [
            (IncentiveStatus.IDENTIFIED, -930, None),
            (IncentiveStatus.PREPARING, -900, None),
            (IncentiveStatus.SUBMITTED, -880, None),
            (IncentiveStatus.AWARDED, -790, None),
            (IncentiveStatus.IN_COMPLIANCE, -760, None),
            (IncentiveStatus.CLOSED, -15, "Final report accepted."),
        ],
        "obligations": [
            (ObligationKind.CAPEX, "Financed equipment installed",
             Decimal("120"), "CZK m", Decimal("126.4"), -60, -60),
        ],
        "reports": [("Final project report", -25, -31, None)],
        "promises": [
            (PromiseKind.DISBURSEMENT, "Loan drawdown", -770, PromiseStatus.DELIVERED, -772,
             Decimal("40_000_000"), None),
        ],
    },
    {
        "key": "sario_voucher",
        "title": "Consultancy voucher – Slovak supplier readiness audits",
        "kind": IncentiveKind.OTHER,
        "partner": "sario",
        "region": "bratislava",
        "owner": "manager",
        "currency": "EUR",
        "amount_offered": Decimal("45_000"),
        "amount_awarded": Decimal("45_000"),
        "amount_received": Decimal("45_000"),
        "application_deadline": -240,
        "decision_expected_on": -210,
        "awarded_on": -205,
        "term_start_on": -200,
        "term_end_on": -20,
        "clawback_rule": ClawbackRule.NONE,
        "is_state_aid": True,
        "is_de_minimis": True,
        "aid_type": "De minimis aid",
        "nace_code": "27.11",
        "aid_granted_on": -205,
        "path": [
            (IncentiveStatus.IDENTIFIED, -260, None),
            (IncentiveStatus.PREPARING, -250, None),
            (IncentiveStatus.SUBMITTED, -240, None),
            (IncentiveStatus.AWARDED, -205, None),
            (IncentiveStatus.IN_COMPLIANCE, -200, None),
            (IncentiveStatus.CLOSED, -18, "Voucher settled."),
        ],
        "obligations": [
            (ObligationKind.OTHER, "Readiness audits of Slovak Battery Alliance members",
             Decimal("12"), "audits", Decimal("12"), -25, -25),
        ],
        "reports": [("Voucher settlement report", -20, -22, None)],
    },
    {
        "key": "tam_training",
        "title": "State training subsidy – Reynosa harness technicians",
        "kind": IncentiveKind.TRAINING_SUBSIDY,
        "partner": "invest_tam",
        "region": "tamaulipas",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("6_500_000"),
        "amount_awarded": Decimal("6_000_000"),
        "amount_received": Decimal("6_000_000"),
        "application_deadline": -690,
        "decision_expected_on": -610,
        "awarded_on": -600,
        "term_start_on": -580,
        "term_end_on": -60,
        "clawback_terms": "Repay in proportion to unmet training hours and jobs, plus "
        "surcharges at the state rate.",
        "clawback_rule": ClawbackRule.PRO_RATA,
        "clawback_interest_pct": Decimal("4.000"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -720, None),
            (IncentiveStatus.PREPARING, -700, None),
            (IncentiveStatus.SUBMITTED, -690, None),
            (IncentiveStatus.AWARDED, -600, None),
            (IncentiveStatus.IN_COMPLIANCE, -580, None),
            (IncentiveStatus.CLAWED_BACK, -30,
             "Harness cutting moved to Apodaca; MXN 2.4m reclaimed pro rata."),
        ],
        "obligations": [
            (ObligationKind.TRAINING_HOURS, "Technician training hours delivered",
             Decimal("30000"), "hours", Decimal("17500"), -60, -60),
            (ObligationKind.JOBS, "Trained technicians employed at Reynosa",
             Decimal("250"), "jobs", Decimal("140"), -60, -60),
        ],
        "reports": [
            ("Annual training report – year 1", -240, -245, None),
            ("Final training report", -45, -40, "Submitted five days late."),
        ],
        "promises": [
            (PromiseKind.TRAINING_FUNDS, "State training fund transfer", -560,
             PromiseStatus.DELIVERED, -565, Decimal("6_000_000"), None),
        ],
    },
    {
        "key": "paih_de_minimis",
        "title": "De minimis grant – Wrocław supplier development workshops",
        "kind": IncentiveKind.GRANT,
        "partner": "paih",
        "region": "wroclaw",
        "owner": "manager",
        "currency": "PLN",
        "amount_offered": Decimal("420_000"),
        "amount_awarded": Decimal("420_000"),
        "amount_received": Decimal("210_000"),
        "application_deadline": -70,
        "decision_expected_on": -35,
        "awarded_on": -22,
        "term_start_on": -20,
        "term_end_on": 345,
        "clawback_rule": ClawbackRule.PRO_RATA,
        "clawback_terms": "Unspent or unevidenced costs are returned.",
        "is_state_aid": True,
        "is_de_minimis": True,
        "aid_type": "De minimis aid",
        "nace_code": "27.20",
        "aid_granted_on": -22,
        "path": [
            (IncentiveStatus.IDENTIFIED, -110, None),
            (IncentiveStatus.PREPARING, -85, None),
            (IncentiveStatus.SUBMITTED, -70, None),
            (IncentiveStatus.AWARDED, -22, None),
            (IncentiveStatus.IN_COMPLIANCE, -20, "Advance of 50% received."),
        ],
        "obligations": [
            (ObligationKind.OTHER, "Supplier development workshops held in Lower Silesia",
             Decimal("6"), "workshops", Decimal("1"), -5, 300),
        ],
        "reports": [("Interim report on workshops held", 150, None, None)],
        "promises": [
            (PromiseKind.DISBURSEMENT, "Balance payment after the interim report", 180,
             PromiseStatus.PENDING, None, Decimal("210_000"), None),
        ],
    },
    {
        "key": "nl_payroll",
        "title": "Payroll tax (ISN) reduction – Apodaca plant expansion",
        "kind": IncentiveKind.TAX_ABATEMENT,
        "partner": "nl_economia",
        "region": "nuevo_leon",
        "owner": "manager2",
        "currency": "MXN",
        "amount_offered": Decimal("18_000_000"),
        "application_deadline": 5,
        "decision_expected_on": 60,
        "clawback_terms": "Reduction lost for the whole term if headcount drops below 80% of "
        "the committed level.",
        "clawback_rule": ClawbackRule.CLIFF,
        "clawback_floor_pct": Decimal("80"),
        "path": [
            (IncentiveStatus.IDENTIFIED, -40, None),
            (IncentiveStatus.PREPARING, -21, "Headcount plan needed from HR."),
        ],
    },
]

PLANNED = MilestoneStatus.PLANNED
IN_PROGRESS = MilestoneStatus.IN_PROGRESS
DONE = MilestoneStatus.DONE
MISSED = MilestoneStatus.MISSED

# Commitments. Milestones: (title, due on, status, completed on, evidence note), in order;
# contributions: (partner, or None for us, amount, paid to date) in the commitment's currency.
# `obligation` names the incentive obligation a training programme counts towards.
COMMITMENTS: list[dict[str, Any]] = [
    {
        "cls": AnchorVolumeCommitment,
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
        "milestones": [
            ("Supply agreement signed", -300, DONE, -300, "Signed at the Győr kick-off."),
            ("PPAP approved for module family A", -190, DONE, -196, "PPAP level 3."),
            ("Line 2 start of production", -90, DONE, -84, None),
            ("Mid-year volume review", 10, IN_PROGRESS, None, None),
            ("Annual volume true-up", 65, PLANNED, None, None),
        ],
    },
    {
        "cls": AnchorVolumeCommitment,
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
        "milestones": [
            ("Frame contract signed", -120, DONE, -118, None),
            ("B-sample release", -40, DONE, -35, None),
            ("C-sample and PV testing complete", -5, IN_PROGRESS, None, None),
            ("Run at rate: 1,000 units a week", 12, PLANNED, None, None),
            ("Start of production", 150, PLANNED, None, None),
        ],
    },
    {
        "cls": AnchorVolumeCommitment,
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
        "milestones": [
            ("Volume agreement signed", -240, DONE, -240, None),
            ("Second cutting line installed", -60, MISSED, None,
             "Press delivery slipped to next quarter."),
            ("Quarterly call-off confirmed", 6, PLANNED, None, None),
            ("Annual volume review", 125, PLANNED, None, None),
        ],
    },
    {
        "cls": CapacityExpansionCommitment,
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
        "cls": CapacityExpansionCommitment,
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
        "cls": CapacityExpansionCommitment,
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
        "cls": CoLocationCommitment,
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
        "cls": CoLocationCommitment,
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
        "cls": CoLocationCommitment,
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
        "cls": CoInvestment,
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
        "cls": CoInvestment,
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
        "cls": CoInvestment,
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
        "cls": TrainingProgramme,
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
        "cls": TrainingProgramme,
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
        "cls": TrainingProgramme,
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


def seed_demo() -> bool:
    """Add the demo data set to the session and return True; the caller commits.

    Returns False, adding nothing, when the demo users already exist.
    """
    if find_user_by_email(DEMO_USERS[0][0]) is not None:
        return False
    _DemoLoader().load()
    return True


class _DemoLoader:
    """Adds the tables above, resolving keys to objects and day offsets to dates."""

    def __init__(self) -> None:
        self.today = today()
        self.users: dict[str, User] = {}
        self.regions: dict[str, Region] = {}
        self.partners: dict[str, Partner] = {}
        self.obligations: dict[str, Obligation] = {}
        self.incentives: list[Incentive] = []

    def load(self) -> None:
        self.add_users()
        self.add_regions_and_partners()
        self.add_fx_rates()
        self.add_engagements()
        for spec in INCENTIVES:
            self.add_incentive(spec)
        db.session.flush()  # ids for the training programmes' obligations and the audit trail
        for spec in COMMITMENTS:
            self.add_commitment(spec)
        self.add_audit_trail()
        db.session.flush()

    def on(self, offset: int | None) -> date | None:
        return None if offset is None else self.today + timedelta(days=offset)

    def at(self, offset: int, minute: int = 0) -> datetime:
        """A timestamp on the offset day; `minute` keeps same-day steps in order."""
        return datetime.combine(self.on(offset), time(9, minute), tzinfo=UTC)

    def dated(self, spec: dict[str, Any]) -> dict[str, Any]:
        """`spec` with the day offsets of its date fields (`*_on`, `*_deadline`) as dates."""
        return {
            field: self.on(value) if field.endswith(("_on", "_deadline")) else value
            for field, value in spec.items()
        }

    def add_users(self) -> None:
        for email, name, role in DEMO_USERS:
            self.users[email.partition("@")[0]] = create_user(email, name, role, DEMO_PASSWORD)

    def add_regions_and_partners(self) -> None:
        for key, name, country, sector in REGIONS:
            self.regions[key] = Region(name=name, country_code=country, sector_focus=sector)
            db.session.add(self.regions[key])
        for row in PARTNERS:
            key, name, kind, country, region, status, owner, website, cadence, next_on, about = row
            self.partners[key] = Partner(
                name=name,
                kind=kind,
                status=status,
                country_code=country,
                region=self.regions[region] if region else None,
                owner=self.users[owner],
                website=website,
                description=about,
                cadence_days=cadence,
                next_engagement_on=self.on(next_on),
            )
            db.session.add(self.partners[key])
        for partner, name, job_title, email, phone in CONTACTS:
            self.partners[partner].contacts.append(
                Contact(name=name, job_title=job_title, email=email, phone=phone)
            )

    def add_fx_rates(self) -> None:
        db.session.add_all(
            FxRate(currency=currency, reporting_currency="EUR", rate=rate, effective_on=self.on(on))
            for currency, rate, on in FX_RATES
        )

    def add_engagements(self) -> None:
        for on, kind, partners, attendees, subject, summary, outcome, follow_ups in ENGAGEMENTS:
            engagement = Engagement(
                kind=kind,
                occurred_on=self.on(on),
                subject=subject,
                summary=summary,
                outcome=outcome,
                partners=[self.partners[key] for key in partners],
                attendees=[self.users[key] for key in attendees],
                created_by=self.users[attendees[0]],
                follow_ups=[
                    FollowUp(
                        title=title,
                        owner=self.users[owner],
                        due_on=self.on(due_on),
                        done_on=self.on(done_on),
                    )
                    for title, owner, due_on, done_on in follow_ups
                ],
            )
            db.session.add(engagement)

    def add_incentive(self, spec: dict[str, Any]) -> None:
        fields = dict(spec)
        key = fields.pop("key")
        path = fields.pop("path")
        obligations = fields.pop("obligations", [])
        reports = fields.pop("reports", [])
        promises = fields.pop("promises", [])
        owner = self.users[fields.pop("owner")]
        incentive = Incentive(
            granting_partner=self.partners[fields.pop("partner")],
            region=self.regions[fields.pop("region")],
            owner=owner,
            status=path[-1][0],
            **self.dated(fields),
        )
        previous = None
        for minute, (status, on, note) in enumerate(path):
            incentive.status_changes.append(
                IncentiveStatusChange(
                    from_status=previous,
                    to_status=status,
                    changed_on=self.on(on),
                    changed_at=self.at(on, minute),
                    user=owner,
                    note=note,
                )
            )
            previous = status
        for kind, description, target, unit, actual, as_of, due_on in obligations:
            obligation = Obligation(
                kind=kind,
                description=description,
                target_value=target,
                unit=unit,
                actual_value=actual,
                actual_as_of=self.on(as_of),
                due_on=self.on(due_on),
                owner=owner,
            )
            incentive.obligations.append(obligation)
            self.obligations[f"{key}/{kind}"] = obligation
        for title, due_on, submitted_on, note in reports:
            incentive.compliance_reports.append(
                ComplianceReport(
                    title=title,
                    due_on=self.on(due_on),
                    submitted_on=self.on(submitted_on),
                    note=note,
                )
            )
        for kind, description, due_on, status, delivered_on, amount, note in promises:
            incentive.promises.append(
                AgencyPromise(
                    kind=kind,
                    description=description,
                    due_on=self.on(due_on),
                    status=status,
                    delivered_on=self.on(delivered_on),
                    amount=amount,
                    note=note,
                )
            )
        db.session.add(incentive)
        self.incentives.append(incentive)

    def add_commitment(self, spec: dict[str, Any]) -> None:
        fields = dict(spec)
        commitment_class = fields.pop("cls")
        milestones = fields.pop("milestones")
        contributions = fields.pop("contributions", [])
        obligation = fields.pop("obligation", None)
        commitment = commitment_class(
            counterparty=self.partners[fields.pop("counterparty")],
            region=self.regions[fields.pop("region")],
            owner=self.users[fields.pop("owner")],
            **self.dated(fields),
        )
        if obligation is not None:
            commitment.obligation_id = self.obligations[obligation].id
        for position, (title, due_on, status, completed_on, note) in enumerate(milestones):
            commitment.milestones.append(
                Milestone(
                    title=title,
                    due_on=self.on(due_on),
                    status=status,
                    completed_on=self.on(completed_on),
                    evidence_note=note,
                    position=position,
                )
            )
        for partner, amount, paid in contributions:
            commitment.contributions.append(
                Contribution(
                    partner=self.partners[partner] if partner else None,
                    amount=amount,
                    currency=commitment.currency,
                    paid_to_date=paid,
                )
            )
        db.session.add(commitment)

    def add_audit_trail(self) -> None:
        """One audit event per incentive status change, as the app records them."""
        for incentive in self.incentives:
            for change in incentive.status_changes:
                created = change.from_status is None
                db.session.add(
                    AuditEvent(
                        occurred_at=change.changed_at,
                        user=change.user,
                        action="create" if created else "transition",
                        entity_type=Incentive.__tablename__,
                        entity_id=incentive.id,
                        summary=(
                            f"Created incentive {incentive.title}"
                            if created
                            else f"{incentive.title}: {change.from_status} → {change.to_status}"
                        ),
                        changes={"status": [change.from_status, change.to_status]},
                    )
                )
