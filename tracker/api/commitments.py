"""Commitments of every kind through the API, with their contributions and milestones.

A commitment's body carries the fields of its kind (`fields_for`); a field of another
kind is refused by name. Who may change which commitment is the operations' rule
(`check_may_edit`): a programme owner changing another's commitment gets 403.
"""

from marshmallow import Schema, fields, validate
from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from tracker.api.base import (
    ID,
    CleanString,
    api_requires,
    api_user,
    body_schema,
    column_field,
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
from tracker.auth.permissions import CREATE_COMMITMENTS, READ
from tracker.commitments import operations, services
from tracker.commitments.models import (
    COMMITMENT_CLASSES,
    COMMON_FIELDS,
    KIND_FIELDS,
    Commitment,
    CommitmentKind,
    Contribution,
    Milestone,
    fields_for,
)
from tracker.core.errors import DomainError
from tracker.core.records import check_version

# Every field any kind has, with the class whose table holds it.
KIND_OF_FIELD = {
    name: COMMITMENT_CLASSES[kind] for kind, names in KIND_FIELDS.items() for name in names
}
ALL_FIELDS = [*COMMON_FIELDS, *KIND_OF_FIELD]
COMMITMENT_ID = {"commitment_id": fields.Integer(required=True, **ID)}
PARENT = (Commitment, "commitment_id", "There is no such commitment.")


def _field(name: str, *, output: bool = False) -> fields.Field:
    """A commitment field typed by its column; in a response, a field of one kind only is
    there for commitments of that kind."""
    model = KIND_OF_FIELD.get(name, Commitment)
    field = column_field(model, name)
    if output:
        field.required = name not in KIND_OF_FIELD
        field.allow_none = inspect(model).columns[name].nullable
    return field


MEASURED_ON = fields.Date(
    load_default=None,
    metadata={"description": "The day the figures sent were true on (default today)."},
)
MilestoneOut = record_schema(
    "Milestone", Milestone, [*operations.MILESTONE_FIELDS, "position"], **COMMITMENT_ID
)
ContributionOut = record_schema(
    "Contribution", Contribution, operations.CONTRIBUTION_FIELDS, **COMMITMENT_ID
)
CommitmentOut = Schema.from_dict(
    {
        "id": fields.Integer(required=True),
        "version": fields.Integer(required=True),
        "kind": fields.String(required=True),
        **{name: _field(name, output=True) for name in ALL_FIELDS},
        "milestones": fields.List(fields.Nested(MilestoneOut), required=True),
        "contributions": fields.Method("_contributions", required=True),
    },
    name="Commitment",
)
CommitmentOut._contributions = lambda self, record: ContributionOut(many=True).dump(
    getattr(record, "contributions", [])
)
CommitmentCreate = Schema.from_dict(
    {
        "kind": CleanString(required=True, validate=validate.OneOf(CommitmentKind.values())),
        **{name: _field(name) for name in ALL_FIELDS},
        "measured_on": MEASURED_ON,
    },
    name="CommitmentCreate",
)
CommitmentCreate._declared_fields["title"].required = True
CommitmentUpdate = Schema.from_dict(
    {**{name: _field(name) for name in ALL_FIELDS}, "measured_on": MEASURED_ON},
    name="CommitmentUpdate",
)


def _of_its_kind(kind: str, values: dict) -> dict:
    """`values` when every field is one a commitment of `kind` has; else a 422 naming it."""
    allowed = {*fields_for(kind), "measured_on"}
    for name in values:
        if name not in allowed:
            label = CommitmentKind(kind).label.lower()
            raise DomainError(f"A {label} commitment has no field “{name}”.", name)
    return values


def _create(values: dict, *, actor):
    kind = values.pop("kind")
    return operations.create_commitment(kind, _of_its_kind(kind, values), actor=actor)


def _update(commitment, values: dict, **who):
    return operations.update_commitment(commitment, _of_its_kind(commitment.kind, values), **who)


def _commitments(args):
    filters = services.CommitmentFilters(
        q=args["q"].strip(),
        kind=args["kind"],
        status=args["status"],
        owner_id=args["owner_id"],
        counterparty_id=args["counterparty_id"],
        region_id=args["region_id"],
    )
    query, sortable = services.commitment_list_query(filters)
    return query.options(selectinload(services.AnyCommitment.milestones)), sortable


commitments = blueprint(
    "Commitments", "Anchor volumes, capacity, co-location, co-investments, training."
)
crud(
    commitments,
    "/commitments",
    Crud(
        model=Commitment,
        noun="commitment",
        item=CommitmentOut,
        read=READ,
        write=CREATE_COMMITMENTS,
        list_args=list_args(
            "CommitmentArgs",
            [
                "title",
                "kind",
                "counterparty",
                "region",
                "owner",
                "status",
                "start",
                "end",
                "next",
                "health",
            ],  # fmt: skip
            "title",
            q=text_filter(
                "Words in the title, notes or counterparty.", validate=validate.Length(max=200)
            ),
            kind=text_filter("Commitment kind.", validate=validate.Length(max=40)),
            status=text_filter("Status.", validate=validate.Length(max=40)),
            owner_id=id_filter("Owner's user id."),
            counterparty_id=id_filter("Counterparty's partner id."),
            region_id=id_filter("Region id."),
        ),
        list_query=_commitments,
        tiebreak=services.AnyCommitment.id,
        rows=True,
        row_item=lambda row: row[0],
        options=(selectinload(Commitment.milestones),),
        create_body=CommitmentCreate,
        create=_create,
        update_body=CommitmentUpdate,
        update=_update,
        delete=operations.delete_commitment,
    ),
)

contributions = blueprint("Contributions", "Each party's share of a co-investment.")
crud(
    contributions,
    "/contributions",
    Crud(
        model=Contribution,
        noun="contribution",
        item=ContributionOut,
        read=READ,
        write=CREATE_COMMITMENTS,
        create_body=body_schema(
            "ContributionCreate",
            Contribution,
            operations.CONTRIBUTION_FIELDS,
            required=["amount"],
            **COMMITMENT_ID,
        ),
        create=operations.create_contribution,
        parent=PARENT,
        update_body=body_schema("ContributionUpdate", Contribution, operations.CONTRIBUTION_FIELDS),
        update=operations.update_contribution,
        delete=operations.delete_contribution,
    ),
)

milestones = blueprint("Milestones", "The steps of a commitment, and their evidence.")
crud(
    milestones,
    "/milestones",
    Crud(
        model=Milestone,
        noun="milestone",
        item=MilestoneOut,
        read=READ,
        write=CREATE_COMMITMENTS,
        list_args=list_args(
            "MilestoneArgs",
            ["due", "position"],
            "due",
            commitment_id=id_filter("The commitment's id."),
        ),
        list_query=lambda args: _milestones(args),
        tiebreak=Milestone.id,
        create_body=body_schema(
            "MilestoneCreate",
            Milestone,
            operations.MILESTONE_FIELDS,
            required=["title", "due_on"],
            **COMMITMENT_ID,
        ),
        create=operations.create_milestone,
        parent=PARENT,
        update_body=body_schema(
            "MilestoneUpdate", Milestone, [*operations.MILESTONE_FIELDS, "position"]
        ),
        update=operations.update_milestone,
        delete=operations.delete_milestone,
    ),
)


def _milestones(args):
    query = select(Milestone)
    if args["commitment_id"]:
        query = query.where(Milestone.commitment_id == args["commitment_id"])
    return query, {"due": Milestone.due_on, "position": Milestone.position}


@milestones.route("/milestones/<int:record_id>/done", methods=["POST"], endpoint="done")
@api_requires(CREATE_COMMITMENTS)
@milestones.arguments(body_schema("MilestoneDone", Milestone, ["completed_on", "evidence_note"]))
@milestones.response(200, MilestoneOut)
@documented(milestones, *GUARDED, 400, 404, 409, 412, 422)
def milestone_done(values: dict, record_id: int):
    """Mark a milestone done (today unless `completed_on` says when), with its evidence."""
    milestone = found(Milestone, record_id, "milestone")
    check_version(milestone, expected_version(milestone))
    operations.complete_milestone(milestone, actor=api_user(), **values)
    return saved(milestone)


BLUEPRINTS = (commitments, contributions, milestones)
