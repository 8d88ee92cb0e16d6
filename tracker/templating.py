"""Every template helper, registered in one place: filters, globals and the permission
predicates templates ask (`may.write_partners`, `may.edit_commitment(c)`), never a
permission string."""

from flask import Flask, url_for
from flask_login import current_user

from tracker.auth import permissions
from tracker.commitments import services as commitment_services
from tracker.core.codes import country_name
from tracker.core.forms import ConfirmForm
from tracker.core.money import format_amount, money, plain_number
from tracker.main.navigation import nav_areas
from tracker.monitoring.services import open_alert_count
from tracker.partners import services as partner_services
from tracker.reports import imports


class Permissions:
    """What the signed-in user may do, as templates ask it (a global, so macros imported
    without context can ask too)."""

    @property
    def user(self):
        return current_user

    @property
    def write_partners(self) -> bool:
        return permissions.may_write_partners(self.user)

    @property
    def write_incentives(self) -> bool:
        return permissions.may_write_incentives(self.user)

    @property
    def create_commitments(self) -> bool:
        return permissions.may_create_commitments(self.user)

    @property
    def manage_users(self) -> bool:
        return permissions.may_manage_users(self.user)

    @property
    def manage_settings(self) -> bool:
        return permissions.may_manage_settings(self.user)

    @property
    def close_months(self) -> bool:
        return permissions.may_close_months(self.user)

    @property
    def read_audit(self) -> bool:
        return permissions.may_read_audit(self.user)

    @property
    def undo(self) -> bool:
        return permissions.may_undo(self.user)

    def edit_commitment(self, commitment) -> bool:
        return commitment_services.can_edit(self.user, commitment)

    def toggle_follow_up(self, follow_up) -> bool:
        return partner_services.can_toggle_follow_up(self.user, follow_up)

    def import_kind(self, kind: str) -> bool:
        return imports.may_import(self.user, kind)


def _incentive_url(incentive_id: int) -> str:
    return url_for("incentives.show", incentive_id=incentive_id)


def register(app: Flask) -> None:
    app.add_template_filter(format_amount, "amount")
    app.add_template_filter(plain_number, "plain")
    app.add_template_global(country_name, "country_name")
    app.add_template_global(nav_areas, "nav_areas")
    app.add_template_global(money, "money")
    app.add_template_global(commitment_services.quantity, "quantity")
    app.add_template_global(commitment_services.percent, "percent")
    app.add_template_global(commitment_services.bar, "bar")
    app.add_template_global(commitment_services.is_overdue, "is_overdue")
    app.add_template_global(format_amount, "format_amount")
    app.add_template_global(_incentive_url, "incentive_url")
    app.add_template_global(Permissions(), "may")

    @app.context_processor
    def per_request():
        return {
            # Only its CSRF token is rendered: never read the request body (a refused,
            # too-large upload would raise 413 again while its error page renders).
            "confirm_form": lambda: ConfirmForm(formdata=None),
            "open_alerts": lambda: open_alert_count(current_user.id),
        }
