"""The partner domain's operations: rules, audit events, restore and undo."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import make_engagement, make_follow_up, make_partner, make_region, make_user
from tracker.core import audit
from tracker.core.errors import DomainError, StaleRecord
from tracker.core.models import AuditEvent
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import operations, services
from tracker.partners.models import Contact, Engagement, FollowUp, Partner, Region


def _events(action: str, entity_type: str) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.entity_type == entity_type)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(query))


def _partner_values(**overrides):
    return {"name": "HIPA", "kind": "economic_agency", "country_code": "HU", **overrides}


# --- Regions and partners -----------------------------------------------------------------


def test_region_name_is_unique_per_country_in_any_case(app):
    make_region("Bratislava", "SK")
    with pytest.raises(DomainError) as caught:
        operations.create_region({"name": "bratislava", "country_code": "SK"}, actor=None)
    assert caught.value.field == "name"
    assert caught.value.message == "A region named bratislava already exists in SK."
    other = operations.create_region({"name": "Bratislava", "country_code": "AT"}, actor=None)
    assert other.id is not None


def test_region_keeps_its_country_while_partners_of_that_country_are_in_it(app):
    region = make_region("Győr", "HU")
    make_partner("HIPA", region_id=region.id)
    with pytest.raises(DomainError) as caught:
        operations.update_region(region, {"country_code": "SK"}, actor=None)
    assert caught.value.field == "country_code"
    assert "1 partner in HU belong to this region" in caught.value.message
    operations.update_region(region, {"sector_focus": "Batteries"}, actor=None)
    assert db.session.get(Region, region.id).country_code == "HU"


def test_partner_name_is_unique_per_country_and_checked_on_update_too(app):
    make_partner("HIPA", country_code="HU")
    other = make_partner("Voltmodul", country_code="HU")
    with pytest.raises(DomainError, match="A partner named hipa already exists in HU.") as caught:
        operations.create_partner(_partner_values(name="hipa"), actor=None)
    assert caught.value.field == "name"
    with pytest.raises(DomainError, match="already exists in HU"):
        operations.update_partner(other, {"name": "HIPA"}, actor=None)
    # Another country is another partner.
    assert operations.create_partner(_partner_values(country_code="SK"), actor=None).id


def test_partner_region_must_exist_and_lie_in_its_country(app):
    region = make_region("Győr", "HU")
    with pytest.raises(DomainError) as caught:
        operations.create_partner(
            _partner_values(country_code="SK", region_id=region.id), actor=None
        )
    assert (caught.value.field, caught.value.message) == (
        "region_id",
        "Győr is in HU, but the partner's country is SK. Choose a region in the same country.",
    )
    with pytest.raises(DomainError, match="Choose a region from the list."):
        operations.create_partner(_partner_values(region_id=987654), actor=None)
    partner = operations.create_partner(_partner_values(region_id=region.id), actor=None)
    # A partial update is checked against the stored values: moving the partner to
    # Slovakia would leave it in a Hungarian region.
    with pytest.raises(DomainError, match="Győr is in HU"):
        operations.update_partner(partner, {"country_code": "SK"}, actor=None)


def test_relationship_owner_must_be_an_active_user_when_chosen(app):
    gone = make_user("manager", name="Left Us")
    partner = make_partner("HIPA", owner_id=gone.id)
    gone.active = False
    with pytest.raises(DomainError) as caught:
        operations.create_partner(_partner_values(name="New", owner_id=gone.id), actor=None)
    assert caught.value.field == "owner_id"
    assert caught.value.message == "Left Us is no longer active: choose an active user."
    # An owner who left does not stop other edits of a partner they owned.
    operations.update_partner(
        partner, {"owner_id": gone.id, "website": "https://x.example"}, actor=None
    )
    assert partner.website == "https://x.example"


def test_partner_events_carry_labels_texts_and_the_actor(app):
    manager = make_user("manager", name="Katalin Varga")
    region = make_region("Győr", "HU")
    partner = operations.create_partner(
        _partner_values(region_id=region.id, owner_id=manager.id), actor=manager
    )
    operations.update_partner(partner, {"kind": "cluster_alliance"}, actor=manager)
    created, updated = _events("create", "partners")[0], _events("update", "partners")[0]
    assert created.user_id == updated.user_id == manager.id
    assert created.changes["region_id"]["new_text"] == "Győr (HU)"
    assert created.changes["owner_id"]["label"] == "Relationship owner"
    assert created.changes["owner_id"]["new_text"] == "Katalin Varga"
    assert created.changes["status"]["new_text"] == "Active"
    assert updated.changes == {
        "kind": {
            "label": "Kind",
            "old": "economic_agency",
            "new": "cluster_alliance",
            "old_text": "Economic agency",
            "new_text": "Cluster alliance",
        }
    }
    # Saving the same values again records nothing.
    operations.update_partner(partner, {"kind": "cluster_alliance"}, actor=manager)
    assert len(_events("update", "partners")) == 1


def test_update_on_an_old_version_is_refused_before_anything_is_written(app):
    partner = make_partner("HIPA", website="https://old.example")
    db.session.commit()
    operations.update_partner(partner, {"website": "https://new.example"}, actor=None)
    db.session.commit()
    assert partner.version == 2
    with pytest.raises(StaleRecord):
        operations.update_partner(
            partner, {"website": "https://stale.example"}, actor=None, expected_version=1
        )
    assert db.session.get(Partner, partner.id).website == "https://new.example"


def test_a_race_lost_at_the_database_is_refused_too(app):
    partner = make_partner("HIPA", website="https://old.example")
    db.session.commit()
    assert partner.version == 1  # loaded now; another session saves next
    with db.engine.begin() as connection:
        connection.execute(
            update(Partner.__table__)
            .where(Partner.__table__.c.id == partner.id)
            .values(version=2, website="https://theirs.example")
        )
    with pytest.raises(StaleRecord) as caught:
        operations.update_partner(partner, {"website": "https://mine.example"}, actor=None)
    assert caught.value.record.website == "https://theirs.example"
    assert db.session.get(Partner, partner.id).website == "https://theirs.example"


def test_archive_records_the_status_change_once(app):
    partner = make_partner("Old Council")
    operations.archive_partner(partner, actor=None)
    operations.archive_partner(partner, actor=None)
    (event,) = _events("archive", "partners")
    assert event.changes["status"]["new_text"] == "Archived"
    assert partner.status == "archived"


# --- Deleting a partner -------------------------------------------------------------------


def test_delete_partner_is_refused_while_engagements_or_registered_checks_hang_on_it(app):
    busy = make_partner("Busy")
    make_engagement([busy])
    free = make_partner("Free")
    with pytest.raises(DomainError, match="1 engagement hang on it"):
        operations.delete_partner(busy, actor=None)

    def grants(partner):  # what a domain above registers, e.g. incentives
        return services.counted(2, "incentive") if partner.name == "Free" else []

    services.register_deletion_check(grants)
    services.register_deletion_check(grants)  # once, however often
    try:
        assert services.deletion_checks.count(grants) == 1
        assert services.what_blocks_deletion(free) == ["2 incentives"]
        with pytest.raises(DomainError, match="Free cannot be deleted: 2 incentives hang on it"):
            operations.delete_partner(free, actor=None)
    finally:
        services.deletion_checks.remove(grants)
    operations.delete_partner(free, actor=None)
    assert db.session.get(Partner, free.id) is None


def test_a_registered_check_blocks_the_delete_page_too(manager_client):
    partner = make_partner("Granting Agency")
    db.session.commit()

    def grants(partner):
        return ["1 incentive"]

    services.register_deletion_check(grants)
    try:
        page = manager_client.get(f"/partners/{partner.id}/delete").get_data(as_text=True)
        assert "This cannot be deleted: 1 incentive hang on it." in page
        from tests.conftest import post_form

        post_form(manager_client, f"/partners/{partner.id}/delete", {}, form_url="/partners")
    finally:
        services.deletion_checks.remove(grants)
    assert db.session.get(Partner, partner.id) is not None


def test_deleted_partner_is_restored_with_its_contacts(app):
    admin = make_user("admin")
    partner = operations.create_partner(_partner_values(website="https://hipa.hu"), actor=admin)
    operations.create_contact(partner, {"name": "Gábor", "phone": "+36 1 234 5678"}, actor=admin)
    partner_id = partner.id
    db.session.commit()
    operations.delete_partner(partner, actor=admin)
    db.session.commit()
    assert db.session.get(Partner, partner_id) is None
    (event,) = _events("delete", "partners")

    restored = operations.RESTORERS["partners"](event, actor=admin)
    db.session.commit()
    assert restored.id == partner_id
    assert (restored.website, [c.name for c in restored.contacts]) == ("https://hipa.hu", ["Gábor"])
    (restore,) = _events("restore", "partners")
    assert restore.summary == "Restored partner HIPA with 1 contact"
    with pytest.raises(DomainError, match="restored before"):
        operations.RESTORERS["partners"](event, actor=admin)


def test_partner_restore_is_refused_when_its_name_was_taken_since(app):
    partner = make_partner("HIPA", country_code="HU")
    other = make_partner("Other", country_code="HU")
    operations.delete_partner(partner, actor=None)
    (event,) = _events("delete", "partners")
    operations.update_partner(other, {"name": "HIPA"}, actor=None)
    with pytest.raises(DomainError, match="A partner named HIPA already exists in HU."):
        operations.RESTORERS["partners"](event, actor=None)


# --- Contacts -----------------------------------------------------------------------------


def test_contact_phone_rule(app):
    partner = make_partner()
    with pytest.raises(DomainError) as caught:
        operations.create_contact(partner, {"name": "Ana", "phone": "call me"}, actor=None)
    assert (caught.value.field, caught.value.message) == ("phone", operations.BAD_PHONE)
    contact = operations.create_contact(partner, {"name": "Ana", "phone": "+36 1 234"}, actor=None)
    with pytest.raises(DomainError, match="Enter a phone number"):
        operations.update_contact(contact, {"phone": "ring ring"}, actor=None)


def test_removed_contact_is_restored_at_its_partner(app):
    admin = make_user("admin")
    partner = make_partner("HIPA")
    contact = operations.create_contact(
        partner,
        {"name": "Gábor Szabó", "job_title": "Director", "email": "g@hipa.hu"},
        actor=admin,
    )
    contact_id = contact.id
    db.session.commit()
    operations.delete_contact(contact, actor=admin)
    db.session.commit()
    assert db.session.get(Contact, contact_id) is None
    (event,) = _events("delete", "contacts")
    assert (event.parent_type, event.parent_id) == ("partners", partner.id)

    restored = operations.RESTORERS["contacts"](event, actor=admin)
    db.session.commit()
    assert restored.id == contact_id
    assert (restored.name, restored.job_title, restored.email, restored.partner_id) == (
        "Gábor Szabó",
        "Director",
        "g@hipa.hu",
        partner.id,
    )
    (restore,) = _events("restore", "contacts")
    assert restore.user_id == admin.id
    assert restore.summary == "Restored contact Gábor Szabó (Director)"
    assert restore in services.partner_history(partner)
    with pytest.raises(DomainError, match="restored before"):
        operations.RESTORERS["contacts"](event, actor=admin)


def test_contact_restore_is_refused_when_its_partner_is_gone(app):
    partner = make_partner("Gone Partner")
    contact = operations.create_contact(partner, {"name": "Ana"}, actor=None)
    operations.delete_contact(contact, actor=None)
    (event,) = _events("delete", "contacts")
    operations.delete_partner(partner, actor=None)
    with pytest.raises(DomainError, match="Ana's partner has been deleted: restore the partner"):
        operations.RESTORERS["contacts"](event, actor=None)


def test_restore_needs_a_deletion(app):
    partner = make_partner()
    contact = operations.create_contact(partner, {"name": "Ana"}, actor=None)
    (event,) = _events("create", "contacts")
    with pytest.raises(DomainError, match="not the deletion of a contact"):
        operations.RESTORERS["contacts"](event, actor=None)
    assert contact.id


# --- Engagements --------------------------------------------------------------------------


def test_engagement_needs_a_known_partner_and_known_attendees(app):
    partner = make_partner()
    values = {"kind": "call", "occurred_on": today(), "subject": "Call"}
    with pytest.raises(DomainError) as caught:
        operations.create_engagement({**values, "partner_ids": []}, actor=None)
    assert (caught.value.field, caught.value.message) == (
        "partner_ids",
        "Choose at least one partner.",
    )
    with pytest.raises(DomainError, match="One of the chosen partners does not exist."):
        operations.create_engagement({**values, "partner_ids": [partner.id, 987654]}, actor=None)
    with pytest.raises(DomainError, match="One of the chosen attendees does not exist.") as caught:
        operations.create_engagement(
            {**values, "partner_ids": [partner.id], "attendee_ids": [987654]}, actor=None
        )
    assert caught.value.field == "attendee_ids"
    engagement = make_engagement([partner])
    with pytest.raises(DomainError, match="Choose at least one partner."):
        operations.update_engagement(engagement, {"partner_ids": []}, actor=None)


def test_changing_only_who_took_part_moves_the_version_on(app):
    first, second = make_partner("First"), make_partner("Second")
    colleague = make_user("manager", name="Jan Dvořák")
    engagement = make_engagement([first])
    db.session.commit()
    operations.update_engagement(
        engagement,
        {"partner_ids": [first.id, second.id], "attendee_ids": [colleague.id]},
        actor=None,
    )
    db.session.commit()
    assert db.session.get(Engagement, engagement.id).version == 2
    (event,) = _events("update", "engagements")
    assert event.changes["attendees"]["new_text"] == "Jan Dvořák"
    assert event.changes["partners"]["old"] == [first.id]
    with pytest.raises(StaleRecord):
        operations.update_engagement(
            engagement, {"partner_ids": [first.id]}, actor=None, expected_version=1
        )


def test_undo_hands_the_old_partners_back_as_ids(app):
    first, second = make_partner("First"), make_partner("Second")
    engagement = make_engagement([first, second])
    operations.update_engagement(engagement, {"partner_ids": [second.id]}, actor=None)
    (event,) = _events("update", "engagements")
    old = audit.from_stored(Engagement, "partners", event.changes["partners"]["old"])
    with audit.reverting(event):
        operations.UPDATERS["engagements"](engagement, {"partner_ids": old}, actor=None)
    assert {p.name for p in engagement.partners} == {"First", "Second"}
    (undo,) = _events("undo", "engagements")
    assert undo.reverts_id == event.id


# --- Follow-ups ---------------------------------------------------------------------------


def test_follow_up_done_and_reopened_with_events_on_the_follow_up(app):
    owner = make_user("owner", name="Jan Dvořák")
    engagement = make_engagement([make_partner()])
    follow_up = operations.create_follow_up(
        engagement, {"title": "Send plan", "owner_id": owner.id, "due_on": today()}, actor=owner
    )
    operations.set_follow_up_done(follow_up, True, actor=owner)
    operations.set_follow_up_done(follow_up, True, actor=owner)  # already done: nothing
    assert follow_up.done_on == today()
    operations.set_follow_up_done(follow_up, False, actor=owner)
    assert follow_up.done_on is None
    events = _events("update", "follow_ups")
    assert [e.summary for e in events] == [
        "Marked follow-up “Send plan” done",
        "Marked follow-up “Send plan” not done",
    ]
    assert {(e.parent_type, e.parent_id) for e in events} == {("engagements", engagement.id)}
    assert events[0].changes["done_on"]["label"] == "Done on"
    created = _events("create", "follow_ups")[0]
    assert created.changes["owner_id"]["new_text"] == "Jan Dvořák"
    history = audit.history(engagement)
    assert [e.summary for e in history][
        -1
    ] == "Added follow-up “Send plan” due " + today().isoformat()


def test_follow_up_cannot_be_done_on_a_day_to_come(app):
    follow_up = make_follow_up(make_engagement([make_partner()]))
    with pytest.raises(DomainError) as caught:
        operations.set_follow_up_done(follow_up, True, actor=None, on=today() + timedelta(days=1))
    assert caught.value.field == "done_on"
    assert follow_up.done_on is None


def test_follow_up_owner_must_be_active(app):
    gone = make_user("owner", name="Left Us", active=False)
    engagement = make_engagement([make_partner()])
    with pytest.raises(DomainError, match="Left Us is no longer active") as caught:
        operations.create_follow_up(
            engagement, {"title": "x", "owner_id": gone.id, "due_on": today()}, actor=None
        )
    assert caught.value.field == "owner_id"


def test_removed_follow_up_is_restored_on_its_engagement(app):
    admin, owner = make_user("admin"), make_user("owner")
    engagement = make_engagement([make_partner()])
    follow_up = make_follow_up(engagement, owner=owner, title="Send capex plan")
    follow_up_id, due_on = follow_up.id, follow_up.due_on
    db.session.commit()
    operations.delete_follow_up(follow_up, actor=admin)
    db.session.commit()
    assert db.session.get(FollowUp, follow_up_id) is None
    (event,) = _events("delete", "follow_ups")
    assert (event.parent_type, event.parent_id) == ("engagements", engagement.id)

    restored = operations.RESTORERS["follow_ups"](event, actor=admin)
    db.session.commit()
    assert (restored.id, restored.title, restored.owner_id, restored.due_on) == (
        follow_up_id,
        "Send capex plan",
        owner.id,
        due_on,
    )
    assert restored in db.session.get(Engagement, engagement.id).follow_ups
    (restore,) = _events("restore", "follow_ups")
    assert restore in audit.history(engagement)


def test_follow_up_restore_is_refused_when_its_owner_left_or_its_engagement_is_gone(app):
    owner = make_user("owner", name="Left Us")
    engagement = make_engagement([make_partner()])
    follow_up = make_follow_up(engagement, owner=owner, title="Call back")
    operations.delete_follow_up(follow_up, actor=None)
    (event,) = _events("delete", "follow_ups")
    owner.active = False
    with pytest.raises(DomainError, match="Left Us is no longer active"):
        operations.RESTORERS["follow_ups"](event, actor=None)
    owner.active = True
    db.session.delete(engagement)
    db.session.flush()
    with pytest.raises(DomainError, match="The engagement of “Call back” has been deleted"):
        operations.RESTORERS["follow_ups"](event, actor=None)


def test_every_updatable_record_has_an_updater(app):
    assert set(operations.UPDATERS) == {
        "regions",
        "partners",
        "contacts",
        "engagements",
        "follow_ups",
    }
    assert {"contacts", "follow_ups"} <= set(operations.RESTORERS)


def test_a_follow_up_needs_an_owner_and_keeps_one(app):
    owner = make_user("owner")
    engagement = make_engagement([make_partner()])
    with pytest.raises(DomainError, match="Choose an owner") as caught:
        operations.create_follow_up(engagement, {"title": "x", "due_on": today()}, actor=None)
    assert caught.value.field == "owner_id"
    follow_up = operations.create_follow_up(
        engagement, {"title": "x", "owner_id": owner.id, "due_on": today()}, actor=None
    )
    with pytest.raises(DomainError, match="Choose an owner"):
        operations.update_follow_up(follow_up, {"owner_id": None}, actor=None)
    # One made before the rule, without an owner, can still be marked done.
    older = make_follow_up(engagement)
    operations.set_follow_up_done(older, True, actor=None)
    assert older.done_on == today()


@pytest.mark.parametrize(
    ("values", "field", "limit"),
    [
        ({"name": "N" * 201, "kind": "other", "country_code": "HU"}, "name", 200),
        (
            {
                "name": "Ok",
                "kind": "other",
                "country_code": "HU",
                "website": "https://x.hu/" + "a" * 300,
            },
            "website",
            300,
        ),
    ],
)
def test_an_operation_holds_text_to_its_columns_length(values, field, limit):
    """A `String(n)` column's length is a rule of the operation, not only of the form, the
    import and the API that stand in front of it (SQLite would store the excess)."""
    with pytest.raises(DomainError) as refused:
        operations.create_partner(values, actor=None)
    assert (refused.value.field, refused.value.message) == (
        field,
        f"Field cannot be longer than {limit} characters.",
    )
    assert db.session.scalars(select(Partner)).all() == []
