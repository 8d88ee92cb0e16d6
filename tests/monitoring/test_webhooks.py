"""Outgoing webhooks: admins subscribe on /admin/webhooks; each record change or alert is
queued with the change itself, POSTed signed (HMAC-SHA256 of the body under the
subscription's secret), retried with backoff, and listed with its outcome. A real HTTP
receiver on loopback checks each signature as a subscriber would."""

import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.api.conftest import api_client_for
from tests.conftest import post_form
from tests.factories import make_partner, make_user
from tracker.core.types import today, utcnow
from tracker.extensions import db
from tracker.monitoring import jobs, operations, webhooks
from tracker.monitoring.models import WebhookDelivery

SECRET_RE = re.compile(r'value="(whsec_[^"]+)"')


def _verified(secret: str, headers: dict, body: bytes) -> dict:
    """The body, once its signature holds, checked as a receiver checks it."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Tracker-Signature"], expected)
    return json.loads(body)


def _subscribe(receiver, events="record.created record.updated record.deleted alert.raised"):
    subscription, secret = operations.create_subscription(
        {"name": "ERP", "url": receiver.url, "events": events}, actor=None
    )
    db.session.commit()
    return subscription, secret


def test_an_admin_subscribes_and_sees_the_secret_once(admin_client, receiver):
    response = post_form(
        admin_client,
        "/admin/webhooks/new",
        {"name": "ERP sync", "url": receiver.url, "events": ["record.created"], "active": "y"},
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET_RE.search(response.get_data(as_text=True)).group(1)
    page = admin_client.get("/admin/webhooks").get_data(as_text=True)
    assert "ERP sync" in page and receiver.url in page and secret not in page
    assert secret not in admin_client.get("/admin/webhooks/1").get_data(as_text=True)


def test_a_bad_subscription_is_refused_and_keeps_what_was_typed(admin_client):
    response = post_form(
        admin_client, "/admin/webhooks/new", {"name": "ERP", "url": "ftp://x", "active": "y"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a full address" in html and 'value="ERP"' in html
    response = post_form(
        admin_client, "/admin/webhooks/new", {"name": "ERP", "url": "https://erp.example.com/h"}
    )
    assert "Choose at least one event" in response.get_data(as_text=True)
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_a_change_through_the_api_is_delivered_signed(app, receiver):
    _subscription, secret = _subscribe(receiver)
    api = api_client_for(app, "manager")
    response = api.post(
        "/api/v1/partners",
        json={"name": "Cell Maker Kft.", "kind": "tier1_supplier", "country_code": "HU"},
    )
    assert response.status_code == 201
    queued = db.session.scalars(select(WebhookDelivery)).all()
    assert [(d.event, d.status) for d in queued] == [("record.created", "pending")]

    run = jobs.run_webhooks()
    assert (run.sent, run.failed, run.outcome) == (1, 0, "success")
    [(headers, body)] = receiver.requests
    event = _verified(secret, headers, body)
    assert event["event"] == "record.created" == headers["X-Tracker-Event"]
    assert event["record"] == {"type": "partners", "id": response.get_json()["id"]}
    assert event["actor_id"] == api.user.id
    assert event["changes"]["name"]["new"] == "Cell Maker Kft."
    db.session.expire_all()
    assert queued[0].status == "delivered" and queued[0].last_status == 200


def test_a_tampered_body_fails_the_check(app, receiver):
    _subscription, secret = _subscribe(receiver)
    make_partner("Anything")
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    db.session.commit()
    jobs.run_webhooks()
    [(headers, body)] = receiver.requests
    forged = body.replace(b'"X"', b'"Y"')
    expected = "sha256=" + hmac.new(secret.encode(), forged, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(headers["X-Tracker-Signature"], expected)


def test_a_refused_change_sends_nothing(app, receiver):
    _subscribe(receiver)
    api = api_client_for(app, "manager")
    response = api.post(
        "/api/v1/partners", json={"name": "X", "kind": "other", "country_code": "XX"}
    )
    assert response.status_code == 422
    assert db.session.scalars(select(WebhookDelivery)).all() == []
    assert jobs.run_webhooks() is None  # nothing due: no run recorded


def test_a_failed_delivery_is_retried_with_backoff_then_delivered(app, receiver):
    _subscribe(receiver, "record.created")
    receiver.answers = [500, 503]
    make_user("manager")
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    db.session.commit()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert jobs.run_webhooks().failed == 1
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.attempts, delivery.status, delivery.last_status) == (1, "pending", 500)
        assert delivery.next_attempt_at.replace(tzinfo=None) == (
            start + timedelta(seconds=webhooks.BACKOFF[0])
        ).replace(tzinfo=None)
        assert jobs.run_webhooks() is None  # not due yet
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert jobs.run_webhooks().failed == 1  # 503; next try 5 minutes on
    with time_machine.travel(start + timedelta(seconds=61 + 299), tick=False):
        assert jobs.run_webhooks() is None
    with time_machine.travel(start + timedelta(seconds=61 + 301), tick=False):
        assert jobs.run_webhooks().sent == 1
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(receiver.requests) == 3
    assert len({headers["X-Tracker-Delivery"] for headers, _ in receiver.requests}) == 1


def test_a_receiver_that_never_answers_is_given_up_and_listed(app, admin_client, receiver):
    subscription, _secret = _subscribe(receiver, "record.created")
    receiver.url = "http://127.0.0.1:9/nothing-listens"
    subscription.url = receiver.url
    db.session.commit()
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    db.session.commit()
    moment = utcnow()
    for wait in (0, *webhooks.BACKOFF):
        moment += timedelta(seconds=wait + 1)
        with time_machine.travel(moment, tick=False):
            jobs.run_webhooks()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    page = admin_client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert ">failed<" in page and "Connection" in page and "Send again" in page
    listing = admin_client.get("/admin/webhooks").get_data(as_text=True)
    assert 'badge red">1<' in listing

    post_form(
        admin_client,
        f"/admin/webhook-deliveries/{delivery.id}/redeliver",
        {},
        form_url=f"/admin/webhooks/{subscription.id}",
    )
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_an_alert_raised_by_the_scan_is_sent(app, receiver):
    from tests.factories import make_incentive
    from tracker.monitoring import services

    _subscription, secret = _subscribe(receiver, "alert.raised")
    make_incentive(title="Battery grant", application_deadline=today() + timedelta(days=7))
    db.session.commit()
    result = services.scan()
    assert result.raised
    jobs.run_webhooks()
    bodies = [_verified(secret, headers, body) for headers, body in receiver.requests]
    assert {b["event"] for b in bodies} == {"alert.raised"}
    assert {b["alert"]["id"] for b in bodies} == {a.id for a in result.raised}
    assert any("Battery grant" in b["alert"]["title"] for b in bodies)


def test_only_the_events_chosen_reach_an_active_subscription(app, receiver):
    alerts_only, _ = _subscribe(receiver, "alert.raised")
    paused, _ = _subscribe(receiver, "record.created")
    operations.update_subscription(paused, {"active": False}, actor=None)
    db.session.commit()
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    make_user("viewer")  # accounts are never sent
    db.session.commit()
    assert db.session.scalars(select(WebhookDelivery)).all() == []
    del alerts_only


def test_deleting_a_subscription_asks_first_and_drops_its_deliveries(app, admin_client, receiver):
    subscription, _secret = _subscribe(receiver, "record.created")
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    db.session.commit()
    url = f"/admin/webhooks/{subscription.id}/delete"
    page = admin_client.get(url).get_data(as_text=True)
    assert "Delete the webhook “ERP”?" in page and receiver.url in page
    assert db.session.scalars(select(WebhookDelivery)).all() != []
    response = post_form(admin_client, url, {})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/webhooks"
    db.session.expire_all()
    assert db.session.scalars(select(WebhookDelivery)).all() == []
    assert jobs.run_webhooks() is None and receiver.requests == []


def test_subscriptions_are_read_once_a_transaction_however_many_changes(
    app, receiver, count_queries
):
    from tracker.partners import operations as partners

    with count_queries() as counter:
        for n in range(5):  # as an import writes: each row in its own savepoint
            with db.session.begin_nested():
                partners.create_partner(
                    {"name": f"P{n}", "kind": "other", "country_code": "HU"}, actor=None
                )
        _subscribe(receiver, "record.created")  # one made meanwhile is seen at once
        partners.create_partner({"name": "Late", "kind": "other", "country_code": "HU"}, actor=None)
        db.session.commit()
    reads = [s for s in counter.statements if "FROM webhook_subscriptions" in s]
    assert len(reads) == 2
    assert [d.event for d in db.session.scalars(select(WebhookDelivery))] == ["record.created"]


def test_a_delivery_names_the_request_that_caused_it_in_the_log(app, receiver, caplog):
    _subscribe(receiver)
    api = api_client_for(app, "manager")
    response = api.post(
        "/api/v1/partners",
        json={"name": "Cell Maker Kft.", "kind": "tier1_supplier", "country_code": "HU"},
        headers={"X-Request-ID": "erp-sync-000123"},
    )
    assert response.headers["X-Request-ID"] == "erp-sync-000123"
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.request_id == "erp-sync-000123"

    caplog.set_level(logging.INFO, logger="tracker.monitoring")
    run = jobs.run_webhooks()
    [line] = [r for r in caplog.records if r.name == "tracker.monitoring.webhooks"]
    assert line.getMessage() == f"webhook delivery {delivery.id} delivered: HTTP 200"
    assert (line.caused_by, line.request_id) == ("erp-sync-000123", f"job-webhooks-{run.id}")


def test_the_scan_leaves_deliveries_to_whoever_is_sending_them(app, receiver):
    """The scan sends due deliveries too; while the webhooks job (here, held by the test)
    is sending, it leaves them, so none goes out twice."""
    from tracker.monitoring.locks import job_lock

    _subscribe(receiver, "record.created")
    from tracker.partners import operations as partners

    partners.create_partner({"name": "X", "kind": "other", "country_code": "HU"}, actor=None)
    db.session.commit()
    with job_lock(jobs.WEBHOOKS) as held:
        assert held
        run = jobs.run_scan()
        assert run.sent == 0 and receiver.requests == []
    assert jobs.run_webhooks().sent == 1
    assert len(receiver.requests) == 1
    assert jobs.run_scan().sent == 0 and len(receiver.requests) == 1
