"""The registry of exportable lists, for `flask export` and the pages that look across domains.

Each domain declares its own lists beside its models (`tracker/<domain>/exports.py`); the
lists of the cross-domain pages (everything due, the audit trail) are declared here.
"""

from tracker.auth.exports import USERS
from tracker.clusters.exports import DEPENDENCIES, ROUTES, SCORECARD
from tracker.commitments.exports import COMMITMENTS, MILESTONES
from tracker.core.tables import Column, ExportList
from tracker.core.types import today
from tracker.incentives.exports import DEADLINES, INCENTIVES
from tracker.monitoring.exports import ALERTS, JOB_RUNS
from tracker.partners.exports import ENGAGEMENTS, FOLLOW_UPS, PARTNERS, REGIONS
from tracker.reports import services
from tracker.reports.audit import AUDIT_LIST

DUE = ExportList(
    name="due",
    title="Everything due",
    columns=[
        Column("Due", lambda r: r.item.due_on, "date"),
        Column("Days left", lambda r: r.days_left, "integer"),
        Column("What", lambda r: r.kind_label),
        Column("Item", lambda r: r.item.title),
        Column("Owner", lambda r: r.owner.name if r.owner else None),
        Column("Overdue band", lambda r: r.band),
    ],
    rows=lambda query: services.due_rows(query, today()),
    default_source=lambda: services.due_query(today()),
)

LISTS: dict[str, ExportList] = {
    spec.name: spec
    for spec in (
        PARTNERS,
        ENGAGEMENTS,
        FOLLOW_UPS,
        REGIONS,
        INCENTIVES,
        DEADLINES,
        DUE,
        COMMITMENTS,
        MILESTONES,
        ALERTS,
        USERS,
        JOB_RUNS,
        AUDIT_LIST,
        SCORECARD,
        DEPENDENCIES,
        ROUTES,
    )
}
