"""Incentives through the API, with their obligations, compliance reports, agency promises,
disbursements and pipeline history; FX and interest rates are in `tracker.api.settings`."""

from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.api.base import (
    ID,
    CleanString,
    api_requires,
    api_user,
    body_schema,
    expected_version,
    id_filter,
    list_args,
    text_filter,
)
from tracker.api.records import (
    GUARDED,
    Crud,
    blueprint,
    crud,
    documented,
    found,
    record_schema,
    saved,
)
from tracker.auth.permissions import READ, WRITE_INCENTIVES
from tracker.core.records import check_version
from tracker.core.types import today
from tracker.incentives import operations, services
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Disbursement,
    Incentive,
    IncentiveStatus,
    IncentiveStatusChange,
    Obligation,
)

NO_SUCH_INCENTIVE = "There is no such incentive."
PARENT = (Incentive, "incentive_id", NO_SUCH_INCENTIVE)
INCENTIVE_ID = {"incentive_id": fields.Integer(required=True, **ID)}

# --- What an incentive carries ---------------------------------------------------------------

ObligationOut = record_schema(
    "Obligation", Obligation, operations.OBLIGATION_FIELDS, **INCENTIVE_ID
)
ReportOut = record_schema(
    "ComplianceReport", ComplianceReport, operations.REPORT_FIELDS, **INCENTIVE_ID
)
PromiseOut = record_schema(
    "AgencyPromise", AgencyPromise, operations.PROMISE_FIELDS, **INCENTIVE_ID
)
DisbursementOut = record_schema(
    "Disbursement", Disbursement, operations.DISBURSEMENT_FIELDS, **INCENTIVE_ID
)
StatusChangeOut = record_schema(
    "StatusChange",
    IncentiveStatusChange,
    ["from_status", "to_status", "changed_on", "note", "user_id"],
)
IncentiveOut = record_schema(
    "Incentive",
    Incentive,
    [*operations.INCENTIVE_FIELDS, "status", "awarded_on"],
    obligations=fields.List(fields.Nested(ObligationOut), required=True),
    compliance_reports=fields.List(fields.Nested(ReportOut), required=True),
    promises=fields.List(fields.Nested(PromiseOut), required=True),
    disbursements=fields.List(fields.Nested(DisbursementOut), required=True),
    status_history=fields.List(
        fields.Nested(StatusChangeOut), required=True, attribute="status_changes"
    ),
)
LOADED = (
    selectinload(Incentive.obligations),
    selectinload(Incentive.compliance_reports),
    selectinload(Incentive.promises),
    selectinload(Incentive.disbursements),
    selectinload(Incentive.status_changes),
)

# --- Incentives ------------------------------------------------------------------------------

incentives = blueprint(
    "Incentives", "Grants, tax reliefs, loans and training funds, and their pipeline."
)
IncentiveArgs = list_args(
    "IncentiveArgs",
    [
        "title",
        "kind",
        "status",
        "partner",
        "region",
        "currency",
        "offered",
        "awarded",
        "deadline",
        "term_end",
    ],  # fmt: skip
    "deadline",
    q=text_filter("Words in the title, terms or notes.", validate=validate.Length(max=200)),
    kind=text_filter("Incentive kind.", validate=validate.Length(max=40)),
    status=text_filter("Pipeline status.", validate=validate.Length(max=40)),
    partner_id=id_filter("Granting partner's id."),
    region_id=id_filter("Region id."),
    currency=text_filter("ISO 4217 code.", validate=validate.Length(max=3)),
    deadline_from=fields.Date(load_default=None),
    deadline_to=fields.Date(load_default=None),
)
STEP_DATES = {
    name: fields.Date(
        allow_none=True,
        metadata={"description": f"{label}: dates the history of a record made late."},
    )
    for name, label in operations.STEP_LABELS.items()
}


def _incentives(args):
    filters = services.IncentiveFilters(
        q=args["q"].strip(),
        kind=args["kind"],
        status=args["status"],
        partner_id=args["partner_id"],
        region_id=args["region_id"],
        currency=args["currency"],
        deadline_from=args["deadline_from"],
        deadline_to=args["deadline_to"],
    )
    query, sortable = services.incentive_list_query(filters)
    return query.options(*LOADED[1:]), sortable


crud(
    incentives,
    "/incentives",
    Crud(
        model=Incentive,
        noun="incentive",
        item=IncentiveOut,
        read=READ,
        write=WRITE_INCENTIVES,
        list_args=IncentiveArgs,
        list_query=_incentives,
        tiebreak=Incentive.id,
        options=LOADED,
        create_body=body_schema(
            "IncentiveCreate",
            Incentive,
            [*operations.INCENTIVE_FIELDS, "status"],
            required=["title", "kind", "granting_partner_id", "currency"],
            **STEP_DATES,
        ),
        create=operations.create_incentive,
        update_body=body_schema("IncentiveUpdate", Incentive, operations.INCENTIVE_UPDATE_FIELDS),
        update=operations.update_incentive,
    ),
)

TransitionBody = body_schema(
    "Transition",
    IncentiveStatusChange,
    ["note"],
    to_status=CleanString(required=True, validate=validate.OneOf(IncentiveStatus.values())),
    on=fields.Date(
        load_default=None, metadata={"description": "The day it moved (default today)."}
    ),
    confirm_over_ceiling=fields.Boolean(
        load_default=False,
        metadata={"description": "Award de minimis aid that passes the ceiling anyway."},
    ),
)


@incentives.route(
    "/incentives/<int:record_id>/transitions", methods=["POST"], endpoint="transition"
)
@api_requires(WRITE_INCENTIVES)
@incentives.arguments(TransitionBody)
@incentives.response(200, IncentiveOut)
@documented(incentives, *GUARDED, 400, 404, 409, 412, 422)
def transition(values: dict, record_id: int):
    """Move an incentive to the pipeline's next step (e.g. awarded), dated `on`, as the
    page's “Move to” does. With If-Match, a stale version is refused (412)."""
    incentive = found(Incentive, record_id, "incentive", LOADED)
    check_version(incentive, expected_version(incentive))
    operations.transition(
        incentive,
        values["to_status"],
        on=values["on"] or today(),
        note=values.get("note"),
        actor=api_user(),
        confirm_over_ceiling=values["confirm_over_ceiling"],
    )
    return saved(incentive)


def _under_an_incentive(model, noun, item, name: str, sorted_by: tuple, **spec) -> Crud:
    """The API of a record kept under an incentive: listed by incentive and one date
    (`sorted_by`: its sort key and column), created under one (`incentive_id`), written with
    the incentives' permission."""
    key, column = sorted_by
    return Crud(
        model=model,
        noun=noun,
        item=item,
        read=READ,
        write=WRITE_INCENTIVES,
        list_args=list_args(
            f"{name}Args", [key], key, incentive_id=id_filter("The incentive's id.")
        ),
        list_query=lambda args: _of_incentive(model, args, {key: column}),
        tiebreak=model.id,
        parent=PARENT,
        **spec,
    )


def _of_incentive(model, args, sortable):
    query = select(model)
    if args["incentive_id"]:
        query = query.where(model.incentive_id == args["incentive_id"])
    return query, sortable


# --- Obligations, reports, promises, disbursements -------------------------------------------

obligations = blueprint("Obligations", "What an award obliges the company to: jobs, investment…")
crud(
    obligations,
    "/obligations",
    _under_an_incentive(
        Obligation,
        "obligation",
        ObligationOut,
        "Obligation",
        ("due", Obligation.due_on),
        create_body=body_schema(
            "ObligationCreate",
            Obligation,
            operations.OBLIGATION_FIELDS,
            required=["kind", "target_value", "unit", "due_on"],
            **INCENTIVE_ID,
        ),
        create=operations.create_obligation,
        update_body=body_schema("ObligationUpdate", Obligation, operations.OBLIGATION_FIELDS),
        update=operations.update_obligation,
        delete=operations.delete_obligation,
    ),
)

compliance_reports = blueprint("Compliance reports", "Reports an award asks for, and when.")
crud(
    compliance_reports,
    "/compliance-reports",
    _under_an_incentive(
        ComplianceReport,
        "compliance report",
        ReportOut,
        "Report",
        ("due", ComplianceReport.due_on),
        create_body=body_schema(
            "ReportCreate",
            ComplianceReport,
            ["title"],
            required=["title"],
            first_due_on=fields.Date(required=True),
            frequency=CleanString(
                load_default="once",
                validate=validate.OneOf(["once", "quarterly", "half_yearly", "yearly"]),
            ),
            until=fields.Date(
                load_default=None, metadata={"description": "A series' end (default: term end)."}
            ),
            **INCENTIVE_ID,
        ),
        create=lambda incentive, values, *, actor: operations.schedule_reports(
            incentive,
            values["title"],
            values["first_due_on"],
            values["frequency"],
            values["until"],
            actor=actor,
        )[0],
        update_body=body_schema("ReportUpdate", ComplianceReport, operations.REPORT_FIELDS),
        update=operations.update_report,
    ),
)

promises = blueprint(
    "Agency promises", "What an agency promised in return: tranches, permits, sites…"
)
crud(
    promises,
    "/promises",
    _under_an_incentive(
        AgencyPromise,
        "promise",
        PromiseOut,
        "Promise",
        ("due", AgencyPromise.due_on),
        create_body=body_schema(
            "PromiseCreate",
            AgencyPromise,
            operations.PROMISE_FIELDS,
            required=["kind", "description", "due_on"],
            **INCENTIVE_ID,
        ),
        create=operations.create_promise,
        update_body=body_schema("PromiseUpdate", AgencyPromise, operations.PROMISE_FIELDS),
        update=operations.update_promise,
    ),
)

disbursements = blueprint("Disbursements", "Tranches an agency paid; their sum is received so far.")
crud(
    disbursements,
    "/disbursements",
    _under_an_incentive(
        Disbursement,
        "disbursement",
        DisbursementOut,
        "Disbursement",
        ("paid", Disbursement.paid_on),
        create_body=body_schema(
            "DisbursementCreate",
            Disbursement,
            operations.DISBURSEMENT_FIELDS,
            required=["paid_on", "amount"],
            **INCENTIVE_ID,
        ),
        create=operations.add_disbursement,
        delete=operations.delete_disbursement,
    ),
)


BLUEPRINTS = (incentives, obligations, compliance_reports, promises, disbursements)
