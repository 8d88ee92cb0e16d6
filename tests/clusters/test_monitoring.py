"""The scan raises an alert when a new offshore dependency appears, once, and resolves it
when the dependency is gone."""

from sqlalchemy import select

from tests.clusters.conftest import link, provide
from tests.factories import make_partner, make_user
from tracker.clusters import operations
from tracker.clusters.models import SupplyLink
from tracker.extensions import db
from tracker.monitoring import services
from tracker.monitoring.models import Alert
from tracker.partners.models import PartnerKind


def _offshore_alerts() -> list[Alert]:
    return list(
        db.session.scalars(
            select(Alert).where(Alert.kind == "offshore_dependency").order_by(Alert.id)
        )
    )


def test_a_new_offshore_dependency_raises_one_alert_until_it_is_gone(cluster):
    owner = make_user("manager")
    cluster.t1.owner_id = owner.id
    admin = make_user("admin")
    result = services.scan()
    alerts = _offshore_alerts()
    assert [(a.subject_type, a.title) for a in alerts] == [
        ("supply_links", "Module Maker buys Mold-making from Dongguan Mould (CN)")
    ]
    assert alerts[0].message == (
        "Outside the trade bloc: Module Maker buys Mold-making from Dongguan Mould (CN); "
        "1 anchor commitment rests on it."
    )
    assert alerts[0].path == "/clusters/dependencies"
    assert {r.user_id for r in alerts[0].recipients} >= {owner.id, admin.id}
    assert alerts[0] in result.raised
    # Scanned again: nothing new, and the dated items' resolution leaves it open.
    assert _offshore_alerts() == alerts and services.scan().raised == []
    assert alerts[0].resolved_at is None
    # A second supplier abroad: one more alert, for it alone.
    korean = make_partner("Seoul Cells", kind=PartnerKind.TIER2_SUPPLIER, country_code="KR")
    provide(korean, cluster.capabilities["cells"])
    link(cluster.t1, korean, cluster.capabilities["cells"])
    assert [a.title for a in services.scan().raised] == [
        "Module Maker buys Cell manufacturing from Seoul Cells (KR)"
    ]
    # The molds come from the region now: that alert is resolved.
    mould_link = db.session.scalar(
        select(SupplyLink).where(SupplyLink.supplier_id == cluster.mould.id)
    )
    operations.delete_supply_link(mould_link, actor=None)
    services.scan()
    db.session.refresh(alerts[0])
    assert alerts[0].resolved_at is not None
