"""Regions, partners, contacts, engagements and follow-ups through the API."""

from marshmallow import fields, validate
from sqlalchemy import func, select

from tracker.api.base import (
    ID,
    api_requires,
    api_user,
    body_schema,
    expected_version,
    id_filter,
    id_list,
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
from tracker.auth.permissions import READ, WRITE_PARTNERS
from tracker.core.types import today
from tracker.partners import operations, services
from tracker.partners.models import Contact, Engagement, FollowUp, Partner, Region

# --- Regions ---------------------------------------------------------------------------------

regions = blueprint("Regions", "Regions a cluster grows in.")
RegionOut = record_schema("Region", Region, operations.REGION_FIELDS)
RegionArgs = list_args("RegionArgs", ["name", "country"], "country")


def _regions(args):
    query = select(Region)
    return query, {"name": func.lower(Region.name), "country": Region.country_code}


crud(
    regions,
    "/regions",
    Crud(
        model=Region,
        noun="region",
        item=RegionOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=RegionArgs,
        list_query=_regions,
        tiebreak=Region.id,
        create_body=body_schema(
            "RegionCreate", Region, operations.REGION_FIELDS, required=["name", "country_code"]
        ),
        create=operations.create_region,
        update_body=body_schema("RegionUpdate", Region, operations.REGION_FIELDS),
        update=operations.update_region,
    ),
)


# --- Partners --------------------------------------------------------------------------------

partners = blueprint("Partners", "Agencies, alliances, councils and suppliers.")
PartnerOut = record_schema("Partner", Partner, operations.PARTNER_FIELDS)
PartnerArgs = list_args(
    "PartnerArgs",
    ["name", "kind", "country", "region", "status", "owner", "last", "health"],
    "name",
    q=text_filter("Words in the name, notes or website.", validate=validate.Length(max=200)),
    kind=text_filter("Partner kind.", validate=validate.Length(max=40)),
    region_id=id_filter("Region id."),
    country_code=text_filter("ISO 3166 code.", validate=validate.Length(max=2)),
    status=text_filter("Status (archived partners are left out unless asked for)."),
    owner_id=id_filter("Relationship owner's user id."),
)


def _partners(args):
    filters = services.PartnerFilters(
        q=args["q"].strip(),
        kind=args["kind"],
        region_id=args["region_id"],
        country_code=args["country_code"],
        status=args["status"],
        owner_id=args["owner_id"],
    )
    return services.partner_rows_query(filters, today())


crud(
    partners,
    "/partners",
    Crud(
        model=Partner,
        noun="partner",
        item=PartnerOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=PartnerArgs,
        list_query=_partners,
        tiebreak=Partner.id,
        rows=True,
        row_item=lambda row: row[0],
        create_body=body_schema(
            "PartnerCreate",
            Partner,
            operations.PARTNER_FIELDS,
            required=["name", "kind", "country_code"],
        ),
        create=operations.create_partner,
        update_body=body_schema("PartnerUpdate", Partner, operations.PARTNER_FIELDS),
        update=operations.update_partner,
        delete=operations.delete_partner,
    ),
)


@partners.route("/partners/<int:record_id>/archive", methods=["POST"], endpoint="archive")
@api_requires(WRITE_PARTNERS)
@partners.response(200, PartnerOut)
@documented(partners, *GUARDED, 404, 409, 412, 422)
def archive_partner(record_id: int):
    """Archive a partner: out of the lists, its history kept (as the page's Archive)."""
    partner = found(Partner, record_id, "partner")
    operations.archive_partner(
        partner, actor=api_user(), expected_version=expected_version(partner)
    )
    return saved(partner)


# --- Contacts --------------------------------------------------------------------------------

contacts = blueprint("Contacts", "The people at a partner.")
ContactOut = record_schema(
    "Contact", Contact, operations.CONTACT_FIELDS, partner_id=fields.Integer(required=True)
)
ContactArgs = list_args("ContactArgs", ["name"], "name", partner_id=id_filter("The partner's id."))
ContactCreate = body_schema(
    "ContactCreate",
    Contact,
    operations.CONTACT_FIELDS,
    required=["name"],
    partner_id=fields.Integer(required=True, **ID),
)


def _contacts(args):
    query = select(Contact)
    if args["partner_id"]:
        query = query.where(Contact.partner_id == args["partner_id"])
    return query, {"name": func.lower(Contact.name)}


crud(
    contacts,
    "/contacts",
    Crud(
        model=Contact,
        noun="contact",
        item=ContactOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=ContactArgs,
        list_query=_contacts,
        tiebreak=Contact.id,
        create_body=ContactCreate,
        create=operations.create_contact,
        parent=(Partner, "partner_id", "There is no such partner."),
        update_body=body_schema("ContactUpdate", Contact, operations.CONTACT_FIELDS),
        update=operations.update_contact,
        delete=operations.delete_contact,
    ),
)


# --- Engagements -----------------------------------------------------------------------------

engagements = blueprint("Engagements", "Meetings, calls and visits with partners.")
EngagementOut = record_schema(
    "Engagement",
    Engagement,
    operations.ENGAGEMENT_FIELDS,
    partner_ids=fields.Method("_partner_ids", required=True),
    attendee_ids=fields.Method("_attendee_ids", required=True),
    created_by_id=fields.Integer(required=True, allow_none=True),
)
EngagementOut._partner_ids = lambda self, record: [p.id for p in record.partners]
EngagementOut._attendee_ids = lambda self, record: [u.id for u in record.attendees]
EngagementArgs = list_args(
    "EngagementArgs",
    ["date", "kind", "subject"],
    "date",
    partner_id=id_filter("A partner that took part."),
    kind=text_filter("Engagement kind.", validate=validate.Length(max=40)),
    region_id=id_filter("Region of a partner that took part."),
    date_from=fields.Date(load_default=None),
    date_to=fields.Date(load_default=None),
    attendee_id=id_filter("One of our attendees' user id."),
    q=text_filter("Words in the subject, summary or outcome.", validate=validate.Length(max=200)),
)
PEOPLE = {
    "partner_ids": id_list(metadata={"description": "Partners that took part (at least one)."}),
    "attendee_ids": id_list(metadata={"description": "Our people who took part (user ids)."}),
}


def _engagements(args):
    filters = services.EngagementFilters(
        partner_id=args["partner_id"],
        kind=args["kind"],
        region_id=args["region_id"],
        date_from=args["date_from"],
        date_to=args["date_to"],
        attendee_id=args["attendee_id"],
        q=args["q"].strip(),
    )
    return services.engagement_list_query(filters)


crud(
    engagements,
    "/engagements",
    Crud(
        model=Engagement,
        noun="engagement",
        item=EngagementOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=EngagementArgs,
        list_query=_engagements,
        tiebreak=Engagement.id.desc(),
        create_body=body_schema(
            "EngagementCreate",
            Engagement,
            operations.ENGAGEMENT_FIELDS,
            required=["kind", "occurred_on", "subject"],
            partner_ids=id_list(required=True, metadata=PEOPLE["partner_ids"].metadata),
            attendee_ids=PEOPLE["attendee_ids"],
        ),
        create=operations.create_engagement,
        update_body=body_schema(
            "EngagementUpdate", Engagement, operations.ENGAGEMENT_FIELDS, **PEOPLE
        ),
        update=operations.update_engagement,
    ),
)


# --- Follow-ups ------------------------------------------------------------------------------

follow_ups = blueprint("Follow-ups", "Actions agreed at engagements.")
FollowUpOut = record_schema(
    "FollowUp",
    FollowUp,
    operations.FOLLOW_UP_FIELDS,
    engagement_id=fields.Integer(required=True),
)
FollowUpArgs = list_args(
    "FollowUpArgs",
    ["due"],
    "due",
    owner_id=id_filter("Owner's user id."),
    show=fields.String(load_default="open", validate=validate.OneOf(["open", "done", "all"])),
)


def _follow_ups(args):
    query = services.follow_up_list_query(args["owner_id"], args["show"], today())
    return query.order_by(None), {"due": FollowUp.due_on}


crud(
    follow_ups,
    "/follow-ups",
    Crud(
        model=FollowUp,
        noun="follow-up",
        item=FollowUpOut,
        read=READ,
        write=WRITE_PARTNERS,
        list_args=FollowUpArgs,
        list_query=_follow_ups,
        tiebreak=FollowUp.id,
        create_body=body_schema(
            "FollowUpCreate",
            FollowUp,
            operations.FOLLOW_UP_FIELDS,
            required=["title", "due_on"],
            engagement_id=fields.Integer(required=True, **ID),
        ),
        create=operations.create_follow_up,
        parent=(Engagement, "engagement_id", "There is no such engagement."),
        update_body=body_schema("FollowUpUpdate", FollowUp, operations.FOLLOW_UP_FIELDS),
        update=operations.update_follow_up,
        delete=operations.delete_follow_up,
    ),
)

BLUEPRINTS = (regions, partners, contacts, engagements, follow_ups)
