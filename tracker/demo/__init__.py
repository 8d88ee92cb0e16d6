"""The demo data set behind `flask --app tracker seed-demo`, written through the domains'
operations like any other write, so it keeps every rule and its history shows who did what.

The tables give every date as a day offset from `today()` (`tracker.demo.dates`), so the data
tells the same story whenever it is loaded: some items overdue, some due this week or month,
a year of engagements behind. The history's events are dated when the demo is loaded; the
pipeline's status changes, follow-ups, reports and milestones carry the story's dates.
"""

from tracker.auth.services import find_user_by_email
from tracker.demo import auth, clusters, commitments, incentives, partners
from tracker.demo.auth import DEMO_PASSWORD, DEMO_USERS

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "seed_demo"]


def seed_demo() -> bool:
    """Add the demo data set to the session and return True; the caller commits.

    Returns False, adding nothing, when the first demo user already exists. A row that breaks
    a rule raises the operation's `DomainError`: the demo must keep every rule.
    """
    if find_user_by_email(DEMO_USERS[0][0]) is not None:
        return False
    users = auth.load_users()
    regions, partner_by_key = partners.load_regions_and_partners(users)
    incentives.load_fx_rates(users)
    partners.load_engagements(users, partner_by_key)
    obligations = incentives.load_incentives(users, regions, partner_by_key)
    commitments.load_commitments(users, regions, partner_by_key, obligations)
    clusters.load_clusters(users, regions, partner_by_key)
    partners.archive_withdrawn(partner_by_key)
    return True
