"""Alerts (listed and acknowledged) and the rates admins keep (FX and interest rates)
through the API."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from tracker.api.base import (
    ID,
    api_requires,
    api_user,
    body_schema,
    list_args,
    page_of,
    page_schema,
)
from tracker.api.records import GUARDED, Crud, blueprint, crud, documented, found, record_schema
from tracker.auth.permissions import MANAGE_SETTINGS, READ
from tracker.core.models import FxRate
from tracker.extensions import db
from tracker.incentives import operations as incentive_operations
from tracker.incentives.models import InterestRate
from tracker.monitoring import operations, services
from tracker.monitoring.models import Alert

# --- Alerts ---------------------------------------------------------------------------------

alerts = blueprint("Alerts", "What the scheduled scans raised: deadlines near and passed.")
AlertOut = record_schema(
    "Alert",
    Alert,
    [
        "kind",
        "title",
        "message",
        "due_on",
        "threshold_days",
        "subject_type",
        "subject_id",
        "raised_at",
        "acknowledged_at",
        "acknowledged_by_id",
        "resolved_at",
    ],  # fmt: skip
    recipient_ids=fields.Method("_recipient_ids", required=True),
)
AlertOut._recipient_ids = lambda self, alert: [r.user_id for r in alert.recipients]
AlertArgs = list_args(
    "AlertArgs",
    ["due", "raised"],
    "due",
    scope=fields.String(
        load_default="mine",
        validate=validate.OneOf(["mine", "everyone"]),
        metadata={"description": "Alerts sent to you, or everyone's."},
    ),
    state=fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "acknowledged", "resolved", "all"]),
    ),
    kind=fields.String(load_default="", validate=validate.Length(max=40)),
)


@alerts.route("/alerts", methods=["GET"], endpoint="list")
@api_requires(READ)
@alerts.arguments(AlertArgs, location="query", as_kwargs=False)
@alerts.response(200, page_schema("AlertPage", AlertOut))
@documented(alerts, *GUARDED, 400, 422)
def list_alerts(args):
    """Alerts, as on the alerts page: yours or everyone's, open by default."""
    user_id = api_user().id if args["scope"] == "mine" else None
    query = services.alerts_query(user_id, args["state"], args["kind"]).order_by(None)
    return page_of(query, args, {"due": Alert.due_on, "raised": Alert.raised_at}, Alert.id)


@alerts.route("/alerts/<int:record_id>", methods=["GET"], endpoint="read")
@api_requires(READ)
@alerts.response(200, AlertOut)
@documented(alerts, *GUARDED, 404)
def read_alert(record_id: int):
    """One alert."""
    return found(Alert, record_id, "alert")


AcknowledgeBody = Schema.from_dict(
    {
        "alert_ids": fields.List(
            fields.Integer(**ID), required=True, validate=validate.Length(min=1, max=1000)
        )
    },
    name="Acknowledge",
)
AcknowledgedOut = Schema.from_dict(
    {
        "acknowledged": fields.Integer(required=True),
        "not_yours": fields.Integer(
            required=True,
            metadata={"description": "Open alerts named that you may not acknowledge."},
        ),
    },
    name="Acknowledged",
)


@alerts.route("/alerts/acknowledge", methods=["POST"], endpoint="acknowledge")
@api_requires(READ)
@alerts.arguments(AcknowledgeBody)
@alerts.response(200, AcknowledgedOut)
@documented(alerts, *GUARDED, 400, 422)
def acknowledge(values: dict):
    """Acknowledge open alerts (yours; any, for an admin), which stops their e-mails."""
    result = operations.acknowledge_alerts(values["alert_ids"], actor=api_user())
    db.session.commit()
    return result._asdict()


# --- Rates -----------------------------------------------------------------------------------

fx_rates = blueprint("FX rates", "Rates into the reporting currency, by the day they apply from.")
FxRateOut = record_schema("FxRate", FxRate, incentive_operations.FX_RATE_FIELDS)


def _add_fx_rate(values: dict, *, actor):
    return incentive_operations.add_fx_rate(
        values["currency"],
        values["rate"],
        values["effective_on"],
        actor=actor,
        confirm_rate_jump=values["confirm_rate_jump"],
    )


def _rates(model, args, sortable):
    query = select(model)
    if args.get("currency"):
        query = query.where(model.currency == args["currency"].upper())
    if args.get("series"):
        query = query.where(model.series == args["series"])
    return query, sortable


crud(
    fx_rates,
    "/fx-rates",
    Crud(
        model=FxRate,
        noun="FX rate",
        item=FxRateOut,
        read=READ,
        write=MANAGE_SETTINGS,
        list_args=list_args(
            "FxRateArgs",
            ["effective", "currency"],
            "effective",
            currency=fields.String(load_default="", validate=validate.Length(max=3)),
        ),
        list_query=lambda args: _rates(
            FxRate, args, {"effective": FxRate.effective_on, "currency": FxRate.currency}
        ),
        tiebreak=FxRate.id,
        create_body=body_schema(
            "FxRateCreate",
            FxRate,
            ["currency", "rate", "effective_on"],
            required=["currency", "rate", "effective_on"],
            confirm_rate_jump=fields.Boolean(
                load_default=False,
                metadata={"description": "Add a rate more than twice or under half the last."},
            ),
        ),
        create=_add_fx_rate,
        delete=incentive_operations.delete_fx_rate,
    ),
)

interest_rates = blueprint("Interest rates", "Rate tables clawback interest can run on.")
crud(
    interest_rates,
    "/interest-rates",
    Crud(
        model=InterestRate,
        noun="interest rate",
        item=record_schema("InterestRate", InterestRate, incentive_operations.INTEREST_RATE_FIELDS),
        read=READ,
        write=MANAGE_SETTINGS,
        list_args=list_args(
            "InterestRateArgs",
            ["effective", "series"],
            "effective",
            series=fields.String(load_default="", validate=validate.Length(max=60)),
        ),
        list_query=lambda args: _rates(
            InterestRate,
            args,
            {"effective": InterestRate.effective_on, "series": InterestRate.series},
        ),
        tiebreak=InterestRate.id,
        create_body=body_schema(
            "InterestRateCreate",
            InterestRate,
            incentive_operations.INTEREST_RATE_FIELDS,
            required=incentive_operations.INTEREST_RATE_FIELDS,
        ),
        create=incentive_operations.add_interest_rate,
        delete=incentive_operations.delete_interest_rate,
    ),
)

BLUEPRINTS = (alerts, fx_rates, interest_rates)
