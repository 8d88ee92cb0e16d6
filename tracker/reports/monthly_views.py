"""The monthly board report: the printable page, and the same report as PDF and XLSX."""

from io import BytesIO

from flask import (
    Blueprint,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from tracker.auth.permissions import CLOSE_MONTHS, MANAGE_SETTINGS, READ, requires
from tracker.core.forms import confirm_then
from tracker.core.types import today
from tracker.reports import monthly, operations
from tracker.reports.monthly_pdf import report_pdf
from tracker.reports.monthly_xlsx import report_xlsx

bp = Blueprint("monthly", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _dashboard_url() -> str:
    """The breadcrumb's parent: the dashboard where the report is linked from."""
    if "reports.dashboard" in current_app.view_functions:
        return url_for("reports.dashboard")
    return url_for("main.home")


def _month_or_page():
    """(month, None), or (None, the page explaining why the month cannot be reported)."""
    on = today()
    try:
        return monthly.parse_month(request.args.get("month"), on), None
    except monthly.MonthError as error:
        page = render_template(
            "monthly/report.html",
            report=None,
            error=error.message,
            asked=(request.args.get("month") or "")[:20],
            latest=monthly.Month.of(on).previous,
            current=monthly.Month.of(on),
            dashboard_url=_dashboard_url(),
        )
        return None, (page, error.status)


# Engagements the page lists (the PDF and the workbook list them all).
LISTED = 50


def _section(report: monthly.MonthlyReport) -> str:
    """The report's own part of the page: what a closed month keeps."""
    return render_template("monthly/_report.html", report=report).strip()


@bp.get("/reports/monthly")
@requires(READ)
def report():
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    on = today()
    report = monthly.monthly_report(month, on, listed=LISTED)
    closed = operations.closed_month(month)
    return render_template(
        "monthly/report.html",
        report=report,
        closed=closed,
        # The section is our own template's output (escaped as it was rendered).
        section=Markup(closed.html if closed else _section(report)),  # noqa: S704
        prepared_on=closed.prepared_on if closed else on,
        current=monthly.Month.of(on),
        dashboard_url=_dashboard_url(),
    )


@bp.get("/reports/monthly.pdf")
@requires(READ)
def pdf():
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    closed = operations.closed_month(month)
    on = today()
    document = (
        closed.pdf if closed else report_pdf(monthly.monthly_report(month, on), prepared_on=on)
    )
    return send_file(
        BytesIO(document),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"board-report-{month.key}.pdf",
    )


@bp.get("/reports/monthly.xlsx")
@requires(READ)
def xlsx():
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    closed = operations.closed_month(month)
    on = today()
    workbook = (
        closed.xlsx if closed else report_xlsx(monthly.monthly_report(month, on), prepared_on=on)
    )
    return send_file(
        BytesIO(workbook),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"board-report-{month.key}.xlsx",
    )


def _confirmed(month: monthly.Month, write, done: str, **page):
    """A confirmation page for `month`; once confirmed, `write()`, committed, then back to
    the month with `done`, or with the rule's message and nothing written."""
    return confirm_then(
        write, done=done, cancel_url=url_for("monthly.report", month=month.key), **page
    )


@bp.route("/reports/monthly/close", methods=["GET", "POST"])
@requires(CLOSE_MONTHS)
def close():
    """Close a month that has ended: its report is kept as it reads today."""
    month, error_page = _month_or_page()
    if error_page:
        return error_page

    def write():
        on = today()
        full = monthly.monthly_report(month, on)
        renderings = operations.Renderings(
            html=_section(monthly.monthly_report(month, on, listed=LISTED)),
            pdf=report_pdf(full, prepared_on=on),
            xlsx=report_xlsx(full, prepared_on=on),
        )
        operations.close_month(month, renderings, actor=current_user._get_current_object())

    return _confirmed(
        month,
        write,
        f"{month.label} is closed: its report reads as it does today.",
        title=f"Close the board report of {month.label}?",
        consequences=[
            "The page, the PDF and the workbook of the month are kept as they read today.",
            "Records edited later no longer change them; an admin can reopen the month.",
        ],
        submit="Close the month",
    )


@bp.route("/reports/monthly/reopen", methods=["GET", "POST"])
@requires(MANAGE_SETTINGS)
def reopen():
    """Reopen a closed month: its report is worked out from the records again."""
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    return _confirmed(
        month,
        lambda: operations.reopen_month(month, actor=current_user._get_current_object()),
        f"{month.label} is open again.",
        title=f"Reopen the board report of {month.label}?",
        consequences=[
            "The kept report is dropped: the month's figures are worked out from the records "
            "again, with every edit made since.",
        ],
        submit="Reopen the month",
    )
