"""The monthly board report: the printable page, and the same report as PDF and XLSX."""

from io import BytesIO

from flask import Blueprint, current_app, render_template, request, send_file, url_for

from tracker.auth.permissions import READ, requires
from tracker.core.types import today
from tracker.reports import monthly
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


@bp.get("/reports/monthly")
@requires(READ)
def report():
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    on = today()
    return render_template(
        "monthly/report.html",
        report=monthly.monthly_report(month, on, listed=LISTED),
        prepared_on=on,
        current=monthly.Month.of(on),
        dashboard_url=_dashboard_url(),
    )


@bp.get("/reports/monthly.pdf")
@requires(READ)
def pdf():
    month, error_page = _month_or_page()
    if error_page:
        return error_page
    on = today()
    document = report_pdf(monthly.monthly_report(month, on), prepared_on=on)
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
    on = today()
    workbook = report_xlsx(monthly.monthly_report(month, on), prepared_on=on)
    return send_file(
        BytesIO(workbook),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"board-report-{month.key}.xlsx",
    )
