"""What a partner's and an engagement's history show, in a fixed number of queries."""

from datetime import timedelta

from tests.factories import make_engagement, make_partner, make_user
from tracker.core.types import today
from tracker.extensions import db
from tracker.partners import operations


def _history(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return page[page.index('id="history"') :]


def test_partner_history_holds_its_contacts_engagements_and_their_follow_ups(manager_client):
    me = manager_client.user
    partner = operations.create_partner(
        {"name": "HIPA", "kind": "economic_agency", "country_code": "HU"}, actor=me
    )
    other = make_partner("Elsewhere")
    operations.create_contact(partner, {"name": "Ana Petrova"}, actor=me)
    operations.create_contact(other, {"name": "Not Here"}, actor=me)
    engagement = operations.create_engagement(
        {
            "kind": "site_visit",
            "occurred_on": today(),
            "subject": "Plant tour",
            "partner_ids": [partner.id],
        },
        actor=me,
    )
    operations.create_follow_up(
        engagement,
        {"title": "Send plan", "owner_id": me.id, "due_on": today() + timedelta(days=3)},
        actor=me,
    )
    db.session.commit()

    history = _history(manager_client, f"/partners/{partner.id}")
    for summary in (
        "Created partner HIPA",
        "Added contact Ana Petrova",
        "Logged site visit: Plant tour",
        "Added follow-up “Send plan”",
    ):
        assert summary in history, summary
    assert "Not Here" not in history
    assert '<span class="field-label">Kind</span>: Economic agency' in history

    history = _history(manager_client, f"/engagements/{engagement.id}")
    assert "Added follow-up “Send plan”" in history and "Logged site visit" in history
    assert '<span class="field-label">Owner</span>: — → ' + me.name in history
    assert "Ana Petrova" not in history


def test_history_pages_query_count_does_not_grow_with_events(admin_client, count_queries):
    owner = make_user("owner")
    partner = make_partner("HIPA")
    engagement = make_engagement([partner])
    db.session.commit()

    def add_events(n: int) -> None:
        for i in range(n):
            contact = operations.create_contact(partner, {"name": f"Person {i}"}, actor=owner)
            operations.delete_contact(contact, actor=owner)  # a Restore link for the admin
            follow_up = operations.create_follow_up(
                engagement,
                {"title": f"Action {i}", "owner_id": owner.id, "due_on": today()},
                actor=owner,
            )
            operations.set_follow_up_done(follow_up, True, actor=owner)
        db.session.commit()

    counts = []
    for n in (2, 10):
        add_events(n)
        for url in (f"/partners/{partner.id}", f"/engagements/{engagement.id}"):
            admin_client.get(url)
            with count_queries() as counter:
                assert admin_client.get(url).status_code == 200
            counts.append(counter.count)
    assert counts[:2] == counts[2:], counts
