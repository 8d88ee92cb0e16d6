"""Relationship health: every rule at its boundaries."""

from datetime import date, timedelta

import pytest

from tracker.partners.models import Partner, PartnerKind
from tracker.partners.services import DEFAULT_CADENCE_DAYS, DUE_WINDOW_DAYS, relationship_health

AS_OF = date(2026, 6, 30)


def _health(days_since, *, cadence=30, overdue=0, next_on=None, kind=PartnerKind.TRADE_COUNCIL):
    partner = Partner(
        name="P", kind=kind, country_code="HU", cadence_days=cadence, next_engagement_on=next_on
    )
    last_on = AS_OF - timedelta(days=days_since) if days_since is not None else None
    return relationship_health(partner, last_on, 1, overdue, overdue, AS_OF)


@pytest.mark.parametrize(
    ("days_since", "state"),
    [
        (0, "on_cadence"),
        (30 - DUE_WINDOW_DAYS, "on_cadence"),
        (30 - DUE_WINDOW_DAYS + 1, "due"),
        (30, "due"),
        (31, "overdue"),
        (60, "overdue"),
        (61, "dormant"),
        (None, "dormant"),
    ],
)
def test_state_follows_days_since_last_engagement(days_since, state):
    assert _health(days_since).state == state


def test_reason_says_why_in_words():
    health = _health(45)
    assert health.reason.startswith("Last engagement 45 days ago, 15 past the 30-day cadence")
    assert "nothing planned" in health.reason
    assert _health(None).reason.startswith("No engagement recorded yet")


def test_overdue_follow_up_turns_on_cadence_into_due():
    health = _health(3, overdue=2)
    assert health.state == "due"
    assert "2 overdue follow-ups" in health.reason
    assert _health(45, overdue=1).state == "overdue"  # never improves a worse state


def test_future_plan_is_named_and_past_plan_ignored():
    assert "next planned 2026-07-10" in _health(10, next_on=date(2026, 7, 10)).reason
    past = _health(10, next_on=date(2026, 6, 1))
    assert past.next_on is None and "nothing planned" in past.reason


def test_kind_default_cadence_applies_when_partner_sets_none():
    health = _health(40, cadence=None, kind=PartnerKind.ECONOMIC_AGENCY)
    assert health.cadence_days == DEFAULT_CADENCE_DAYS[PartnerKind.ECONOMIC_AGENCY] == 30
    assert health.state == "overdue"
    assert _health(40, cadence=None, kind=PartnerKind.TRADE_COUNCIL).state == "on_cadence"
