"""What the scorecard and the dependencies export: their columns, from the rows the page
computed (see `tracker.core.tables.export_list`)."""

from tracker.clusters import scores, services
from tracker.core.tables import Column, ExportList


def _score(key: str):
    def read(row: scores.RegionScore):
        value = row.overall if key == "overall" else row.cells[key].score
        return None if value is None else round(value)

    return read


SCORECARD = ExportList(
    name="scorecard",
    title="Cluster scorecard",
    columns=[
        Column("Region", lambda r: r.place.name),
        Column("Country", lambda r: r.place.country),
        Column("Sector", lambda r: r.place.sector),
        Column("Overall", _score("overall"), "integer"),
        *(
            column
            for measure in scores.MEASURE_LIST
            for column in (
                Column(measure.label, _score(measure.key), "integer"),
                Column(f"{measure.label}: figure", lambda r, k=measure.key: r.cells[k].figure),
            )
        ),
        Column("How the overall score is reached", lambda r: r.why),
    ],
    rows=list,
    default_source=lambda: scores.scorecard(services.portfolio()),
)


def _dependency_rows(source) -> list:
    portfolio, rows = source
    return [(portfolio, row) for row in rows]


def _name(portfolio: scores.Portfolio, partner_id: int) -> str:
    return portfolio.companies[partner_id].name


def _dependencies_default():
    portfolio = services.portfolio()
    return portfolio, services.dependencies(portfolio)


DEPENDENCIES = ExportList(
    name="dependencies",
    title="Offshore dependencies",
    columns=[
        Column("Flag", lambda r: scores.REACH_LABELS[r[1].reach]),
        Column("Buyer", lambda r: _name(r[0], r[1].link.buyer_id)),
        Column("Buyer country", lambda r: r[0].companies[r[1].link.buyer_id].country),
        Column("Capability", lambda r: r[0].capabilities[r[1].link.capability_id][0]),
        Column("Supplier", lambda r: _name(r[0], r[1].link.supplier_id)),
        Column("Supplier country", lambda r: r[0].companies[r[1].link.supplier_id].country),
        Column("Anchor commitments", lambda r: len(r[1].anchors), "integer"),
        Column("Committed value (reporting currency)", lambda r: r[1].value, "number"),
        Column("Committed volume", lambda r: r[1].volumes),
        Column("Chains", lambda r: "; ".join(" → ".join(chain) for chain in r[1].chains)),
    ],
    rows=_dependency_rows,
    default_source=_dependencies_default,
)


def _tonnes(value: float | None):
    return None if value is None else round(value, 1)


ROUTES = ExportList(
    name="routes",
    title="Routes and emissions",
    columns=[
        Column("Route", lambda r: "Supply link" if r.kind == "link" else "Anchor commitment"),
        Column("What", lambda r: r.what),
        Column("From", lambda r: r.origin),
        Column("To", lambda r: r.destination),
        Column("Region", lambda r: r.region),
        Column("Mode", lambda r: r.estimate.now.mode),
        Column("Tonnes a year", lambda r: r.estimate.now.tonnes, "number"),
        Column(
            "Distance (km, great circle)", lambda r: _tonnes(r.estimate.now.distance_km), "number"
        ),
        Column("t CO2e a year", lambda r: _tonnes(r.estimate.emissions), "number"),
        Column("Replaced supply from", lambda r: r.replaced_country),
        Column(
            "Replaced route t CO2e a year",
            lambda r: _tonnes(r.estimate.replaced_emissions),
            "number",
        ),
        Column("Saving t CO2e a year", lambda r: _tonnes(r.estimate.saving), "number"),
        Column("Not estimated because", lambda r: r.missing),
    ],
    rows=list,
    default_source=services.route_rows,
)
