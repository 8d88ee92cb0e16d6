"""The monthly board report as a workbook: one sheet per section.

Written by `tracker.core.tables.write_workbook`, like every spreadsheet the app makes:
dates are real dates and amounts real numbers, so the board's analysts can sort, sum
and chart them; each sheet has a bold, frozen header row; text is cleaned of control
characters and formula-looking text is neutralised.
"""

from datetime import date

from tracker.core.tables import Column, Sheet, write_workbook
from tracker.reports.monthly import MonthlyReport


def _sheet(sheets: list[Sheet], title: str, headings: list[str], rows: list[list], widths=()):
    """Add a sheet whose cells are typed by their values (dates, numbers, cleaned text)."""
    columns = [
        Column(heading, lambda row, index=index: row[index], "auto")
        for index, heading in enumerate(headings)
    ]
    sheets.append(Sheet(title, columns, rows, tuple(widths)))


def report_xlsx(report: MonthlyReport, prepared_on: date) -> bytes:
    """The whole report as XLSX bytes."""
    workbook: list[Sheet] = []
    currency = report.currency

    _sheet(
        workbook,
        "Summary",
        ["Figure", "Value", "Currency", "Detail"],
        [[h.label, h.value, h.currency or "", h.detail] for h in report.headlines],
        (26, 18, 10, 70),
    )
    e = report.engagements
    _sheet(
        workbook,
        "Engagements",
        ["Date", "Kind", "Subject", "Partners", "Partner kinds"],
        [
            [
                x.occurred_on,
                x.kind_label,
                x.subject,
                ", ".join(p.name for p in x.partners),
                ", ".join(sorted({p.kind_label for p in x.partners})),
            ]
            for x in e.engagements
        ],
        (12, 14, 50, 50, 30),
    )

    i = report.incentives
    _sheet(
        workbook,
        "Incentive moves",
        ["Date", "Incentive", "Granted by", "From", "To", "Note"],
        [
            [
                m.changed_on,
                m.incentive.title,
                m.incentive.granting_partner.name,
                m.from_label,
                m.to_label,
                m.note or "",
            ]
            for m in i.moves
        ],
        (12, 40, 34, 14, 14, 50),
    )
    _sheet(
        workbook,
        "New awards",
        ["Awarded on", "Incentive", "Granted by", "Currency", "Award", f"Award ({currency})"],
        [
            [
                a.awarded_on,
                a.incentive.title,
                a.incentive.granting_partner.name,
                a.incentive.currency,
                a.amount,
                a.converted,
            ]
            for a in i.awards
        ],
        (12, 40, 34, 10, 16, 16),
    )

    m = report.milestones
    _sheet(
        workbook,
        "Milestones met",
        ["Completed on", "Milestone", "Commitment", "Counterparty", "Due on", "Days late"],
        [
            [
                r.milestone.completed_on,
                r.milestone.title,
                r.commitment.title,
                r.commitment.counterparty.name,
                r.milestone.due_on,
                max(r.days_late, 0),
            ]
            for r in m.met
        ],
        (13, 40, 40, 30, 12, 10),
    )
    _sheet(
        workbook,
        "Milestones missed",
        ["Due on", "Milestone", "Commitment", "Counterparty", "Status now", "By month end"],
        [
            [
                r.milestone.due_on,
                r.milestone.title,
                r.commitment.title,
                r.commitment.counterparty.name,
                r.milestone.status.replace("_", " "),
                r.note,
            ]
            for r in m.missed
        ],
        (12, 40, 40, 30, 12, 30),
    )

    x = report.exposure
    _sheet(
        workbook,
        "Exposure",
        [
            "Incentive",
            "Granted by",
            "Status at month end",
            "Rule",
            "Share (%)",
            "Obligation missed",
            "Currency",
            "Exposure",
            f"Exposure ({currency})",
        ],
        [
            [
                r.incentive.title,
                r.incentive.granting_partner.name,
                r.status_label,
                r.rule.replace("_", " "),
                r.share_pct,
                "yes" if r.missed else "no",
                r.incentive.currency,
                r.amount,
                r.converted,
            ]
            for r in x.rows
        ],
        (40, 30, 14, 10, 10, 12, 10, 16, 16),
    )

    h = report.health
    _sheet(
        workbook,
        "Commitment health",
        ["Health", "Commitments", f"Value ({currency})"],
        [[b.label, b.count, b.value.amount] for b in h.buckets],
        (14, 14, 18),
    )
    _sheet(
        workbook,
        "Needing attention",
        ["Commitment", "Kind", "Counterparty", "Health", "Why", "Currency", "Value"],
        [
            [
                r.commitment.title,
                r.commitment.kind_label,
                r.commitment.counterparty.name,
                r.health.label,
                r.health.reason,
                r.commitment.currency,
                r.commitment.value,
            ]
            for r in h.attention
        ],
        (36, 18, 30, 10, 70, 10, 16),
    )

    d = report.due_next
    _sheet(
        workbook,
        f"Due {d.month.key}",
        ["Due on", "Kind", "Item"],
        [[item.due_on, item.kind_label, item.title] for item in d.items],
        (12, 22, 80),
    )

    _sheet(
        workbook,
        "About",
        ["Item", "Value"],
        [
            ["Report", f"Monthly board report {report.month.label}"],
            ["Month", report.month.key],
            ["Period", report.period],
            ["Figures as of", report.as_of],
            ["Reporting currency", currency],
            ["Prepared on", prepared_on],
            *(["Warning", warning] for warning in report.warnings),
        ],
        (22, 110),
    )
    return write_workbook(workbook)
