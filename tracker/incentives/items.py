"""An incentive's dated items, stored (`tracker.core.items`): its open deadlines, by the one
rule the deadlines page shares (`services.open_deadlines`), re-derived whenever the incentive
or one of its obligations, reports or promises is written."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.core.derived import Source, register_source
from tracker.core.items import Item, StoredItem
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Incentive,
    IncentiveStatus,
    Obligation,
)
from tracker.incentives.services import open_deadlines


def derive(ids: list[int]) -> dict[int, list[Item]]:
    incentives = db.session.scalars(
        select(Incentive)
        .where(Incentive.id.in_(ids), Incentive.status.in_(IncentiveStatus.open()))
        .options(
            selectinload(Incentive.obligations),
            selectinload(Incentive.compliance_reports),
            selectinload(Incentive.promises),
        )
        .execution_options(populate_existing=True)
    )
    return {
        incentive.id: [
            Item(
                deadline.subject_type,
                deadline.subject_id,
                deadline.kind,
                deadline.on,
                deadline.title,
                deadline.owner_id,
                incentive.granting_partner_id,
                f"/incentives/{incentive.id}",
                deadline.detail,
            )
            for deadline in open_deadlines(incentive)
        ]
        for incentive in incentives
    }


register_source(
    Source(
        StoredItem.__table__,
        "incentives",
        touches={
            Incentive: lambda incentive: [incentive.id],
            Obligation: lambda obligation: [obligation.incentive_id],
            ComplianceReport: lambda report: [report.incentive_id],
            AgencyPromise: lambda promise: [promise.incentive_id],
        },
        derive=derive,
        every=lambda: db.session.scalars(
            select(Incentive.id).where(Incentive.status.in_(IncentiveStatus.open()))
        ),
    )
)
