"""The demo's regions, partners, their contacts, and a year of engagements with follow-ups,
written through `tracker.partners.operations`.

A procurement team building EV-battery clusters in Hungary, Slovakia, Czechia and Poland and
automotive and electronics clusters in Nuevo León, Baja California and Tamaulipas. Invented
companies use `.example` web and mail domains; public bodies keep their real websites.
"""

from tracker.auth.models import User
from tracker.demo.dates import on
from tracker.partners import operations
from tracker.partners.models import EngagementKind, Partner, PartnerKind, PartnerStatus, Region

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
# fmt: on


def load_regions_and_partners(
    users: dict[str, User],
) -> tuple[dict[str, Region], dict[str, Partner]]:
    """Create the regions (by the admin), and the partners with their contacts (each by the
    partner's owner). A partner the table has archived is created active: `archive_withdrawn`
    archives it once the commitments made with it are in."""
    admin = users["admin"]
    regions = {
        key: operations.create_region(
            {"name": name, "country_code": country, "sector_focus": sector}, actor=admin
        )
        for key, name, country, sector in REGIONS
    }
    partners = {}
    for row in PARTNERS:
        key, name, kind, country, region, status, owner, website, cadence, next_on, about = row
        partners[key] = operations.create_partner(
            {
                "name": name,
                "kind": kind,
                "status": PartnerStatus.ACTIVE if status == PartnerStatus.ARCHIVED else status,
                "country_code": country,
                "region_id": regions[region].id if region else None,
                "owner_id": users[owner].id,
                "website": website,
                "cadence_days": cadence,
                "next_engagement_on": on(next_on),
                "description": about,
            },
            actor=users[owner],
        )
    for partner, name, job_title, email, phone in CONTACTS:
        operations.create_contact(
            partners[partner],
            {"name": name, "job_title": job_title, "email": email, "phone": phone},
            actor=partners[partner].owner,
        )
    return regions, partners


def load_engagements(users: dict[str, User], partners: dict[str, Partner]) -> None:
    """Log the engagements (by the first attendee) and their follow-ups; a follow-up done is
    marked done by its owner, on the day the table says."""
    for row in ENGAGEMENTS:
        occurred_on, kind, taking_part, attendees, subject, summary, outcome, follow_ups = row
        logged_by = users[attendees[0]]
        engagement = operations.create_engagement(
            {
                "kind": kind,
                "occurred_on": on(occurred_on),
                "subject": subject,
                "summary": summary,
                "outcome": outcome,
                "partner_ids": [partners[key].id for key in taking_part],
                "attendee_ids": [users[key].id for key in attendees],
            },
            actor=logged_by,
        )
        for title, owner, due_on, done_on in follow_ups:
            follow_up = operations.create_follow_up(
                engagement,
                {"title": title, "owner_id": users[owner].id, "due_on": on(due_on)},
                actor=logged_by,
            )
            if done_on is not None:
                operations.set_follow_up_done(follow_up, True, on=on(done_on), actor=users[owner])


def archive_withdrawn(partners: dict[str, Partner]) -> None:
    """Archive the partners the table has archived, by their owners: last, because a
    commitment cannot be made with an archived partner."""
    for row in PARTNERS:
        key, status = row[0], row[5]
        if status == PartnerStatus.ARCHIVED:
            operations.archive_partner(partners[key], actor=partners[key].owner)
