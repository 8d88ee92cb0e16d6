"""The monthly board report as an A4 PDF (fpdf2), in DejaVu Sans so every name renders.

The font ships in `static/fonts/` with its licence: the PDF core fonts know only Latin-1,
and partner names such as Győr or Dvořák need more.
"""

import os
from datetime import date
from decimal import Decimal

from flask import current_app
from fpdf import FPDF, FontFace

from tracker.core.money import format_amount
from tracker.core.tables import holdable
from tracker.reports.monthly import MonthlyReport

FONT = "DejaVu"
INK = (28, 39, 51)
MUTED = (95, 107, 120)
BRAND = (15, 92, 99)
RED = (180, 35, 24)
AMBER = (154, 103, 0)
LINE = (223, 228, 234)
HEAD_FILL = (240, 243, 246)
WARN_FILL = (255, 244, 214)
INFO_FILL = (232, 241, 251)


def _money(amount: Decimal | None, currency: str) -> str:
    return "not recorded" if amount is None else f"{currency} {format_amount(amount)}"


def _converted(amount: Decimal | None, value: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"no {currency} rate" if value is None else format_amount(value)


def _cell_text(value) -> str:
    """A value as a table cell draws it: control characters (a bell, a NUL) have no glyph and
    go, and a tab (no glyph either) becomes a space."""
    return "" if value is None else holdable(str(value)).replace("\t", " ")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class BoardReportPDF(FPDF):
    """A4 portrait, 15 mm margins, a running footer with the report's month and page."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        fonts = os.path.join(current_app.static_folder, "fonts")
        self.add_font(FONT, "", os.path.join(fonts, "DejaVuSans.ttf"))
        self.add_font(FONT, "B", os.path.join(fonts, "DejaVuSans-Bold.ttf"))
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_text_color(*INK)
        self.set_draw_color(*LINE)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(*INK)

    # --- building blocks ---------------------------------------------------------------

    def need(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()

    def heading(self, text: str) -> None:
        self.need(42)  # the heading, its summary and the start of its first table
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.set_text_color(*BRAND)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*BRAND)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(*LINE)
        self.set_text_color(*INK)
        self.set_fill_color(255, 255, 255)  # tables fill with the current colour
        self.ln(1.5)

    def subheading(self, text: str) -> None:
        self.need(30)  # the heading with at least the table's header and first rows
        self.ln(1)
        self.set_font(FONT, "B", 9.5)
        self.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, muted: bool = False, size: float = 9) -> None:
        self.set_font(FONT, "", size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(1)

    def notice(self, text: str, fill: tuple[int, int, int], colour: tuple[int, int, int]) -> None:
        self.set_font(FONT, "", 8.5)
        self.set_fill_color(*fill)
        self.set_text_color(*colour)
        self.multi_cell(
            0, 4.6, text, fill=True, padding=(1.5, 2), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.set_text_color(*INK)
        self.set_fill_color(255, 255, 255)  # tables fill with the current colour
        self.ln(1.5)

    def grid(self, headings: tuple[str, ...], rows: list[tuple], widths: tuple, align: str):
        """A table with a bold header row repeated on each page; `align`: one L/R per column.

        Cells are what users typed: see `_cell_text`.
        """
        self.set_font(FONT, "", 8)
        self.need(16)
        with self.table(
            col_widths=widths,
            text_align=tuple({"L": "LEFT", "R": "RIGHT"}[a] for a in align),
            headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=INK),
            borders_layout="HORIZONTAL_LINES",
            line_height=4.4,
            padding=(0.8, 1.2),
            width=self.epw,
        ) as table:
            table.row(headings)
            for values in rows:
                table.row(tuple(_cell_text(v) for v in values))
        self.ln(2)

    def headline_tiles(self, report: MonthlyReport) -> None:
        figures = report.headlines
        columns, gap, height = 4, 3, 25
        width = (self.epw - gap * (columns - 1)) / columns
        self.need(2 * height + gap)
        top = self.get_y()
        for index, figure in enumerate(figures):
            x = self.l_margin + (index % columns) * (width + gap)
            y = top + (index // columns) * (height + gap)
            self.set_draw_color(*LINE)
            self.rect(x, y, width, height)
            self.set_xy(x + 2, y + 2)
            self.set_font(FONT, "B", 6.5)
            self.set_text_color(*MUTED)
            self.cell(width - 4, 3.5, figure.label.upper())
            self.set_xy(x + 2, y + 6.5)
            self.set_font(FONT, "B", 13 if figure.currency is None else 11)
            self.set_text_color(*(RED if figure.risk else INK))
            value = (
                f"{figure.currency} {format_amount(figure.value)}"
                if figure.currency
                else str(figure.value)
            )
            self.cell(width - 4, 6, value)
            self.set_xy(x + 2, y + 13.5)
            self.set_font(FONT, "", 6.5)
            self.set_text_color(*MUTED)
            self.multi_cell(width - 4, 3.1, figure.detail, align="L")
        self.set_text_color(*INK)
        rows = (len(figures) + columns - 1) // columns
        self.set_xy(self.l_margin, top + rows * (height + gap))


def report_pdf(report: MonthlyReport, prepared_on: date) -> bytes:
    """The whole report as PDF bytes."""
    month = report.month
    pdf = BoardReportPDF(f"Monthly board report {month.label}")
    pdf.set_title(f"Monthly board report {month.label}")
    pdf.set_author("Ecosystem Tracker")
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 9, f"Monthly board report: {month.label}", new_x="LMARGIN", new_y="NEXT")
    pdf.paragraph(
        f"{report.period} · amounts in {report.currency} at the rates in force on "
        f"{report.as_of.isoformat()} · prepared {prepared_on.isoformat()}",
        muted=True,
        size=8.5,
    )
    if not report.complete:
        pdf.notice(
            f"{month.label} is still in progress: the figures run to today, "
            f"{report.as_of.isoformat()}, and will change until the month ends.",
            INFO_FILL,
            INK,
        )
    for warning in report.warnings:
        pdf.notice(warning, WARN_FILL, AMBER)
    pdf.ln(1)
    pdf.headline_tiles(report)

    _engagements(pdf, report)
    _incentives(pdf, report)
    _milestones(pdf, report)
    _exposure(pdf, report)
    _health(pdf, report)
    _due_next(pdf, report)
    return bytes(pdf.output())


def _engagements(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    e = report.engagements
    pdf.heading("Engagements")
    if not e.held:
        pdf.paragraph(f"No engagements were held in {report.month.label}.", muted=True)
        return
    kinds = "; ".join(f"{label}: {n}" for label, n in e.by_kind)
    partner_kinds = "; ".join(f"{label}: {n}" for label, n in e.by_partner_kind)
    pdf.paragraph(
        f"{_plural(e.held, 'engagement')} with {_plural(e.partners_engaged, 'partner')}, "
        f"{e.first_time_partners} of them engaged for the first time.\n"
        f"By kind of engagement: {kinds}.\nPartners by kind: {partner_kinds}."
    )
    pdf.grid(
        ("Date", "Kind", "Subject", "Partners"),
        [
            (
                x.occurred_on.isoformat(),
                x.kind_label,
                x.subject,
                ", ".join(p.name for p in x.partners),
            )
            for x in e.engagements
        ],
        (21, 18, 62, 79),
        "LLLL",
    )


def _incentives(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    i = report.incentives
    pdf.heading("Incentive pipeline")
    if i.moves:
        destinations = ", ".join(f"{n} to {label.lower()}" for label, n in i.by_destination)
        pdf.paragraph(
            f"{_plural(i.moved, 'status change')} across "
            f"{_plural(i.incentives_moved, 'incentive')}: {destinations}."
        )
        pdf.grid(
            ("Date", "Incentive", "Granted by", "From", "To"),
            [
                (
                    m.changed_on.isoformat(),
                    m.incentive.title,
                    m.incentive.granting_partner.name,
                    m.from_label,
                    f"→ {m.to_label}",
                )
                for m in i.moves
            ],
            (21, 58, 51, 25, 25),
            "LLLLL",
        )
    else:
        pdf.paragraph(f"No incentive changed status in {report.month.label}.", muted=True)
    pdf.subheading("Newly awarded")
    if not i.awards:
        pdf.paragraph(f"No incentive was awarded in {report.month.label}.", muted=True)
        return
    rows = [
        (
            a.awarded_on.isoformat(),
            a.incentive.title,
            a.incentive.granting_partner.name,
            _money(a.amount, a.incentive.currency),
            _converted(a.amount, a.converted, a.incentive.currency),
        )
        for a in i.awards
    ]
    total = "Total" + (f" (not counted, no rate: {i.unconverted})" if i.unconverted else "")
    rows.append(("", total, "", "", format_amount(i.awarded_total.amount)))
    pdf.grid(
        ("Awarded on", "Incentive", "Granted by", "Award", report.currency),
        rows,
        (21, 56, 43, 32, 28),
        "LLLRR",
    )


def _milestones(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    m = report.milestones
    pdf.heading("Milestones")
    pdf.paragraph(
        f"{m.met_count} met ({m.met_on_time} on time) and {m.missed_count} missed; "
        f"{_plural(m.due, 'milestone')} fell due in the month."
    )
    pdf.subheading("Met")
    if m.met:
        pdf.grid(
            ("Completed", "Milestone", "Commitment", "Due", ""),
            [
                (
                    r.milestone.completed_on.isoformat(),
                    r.milestone.title,
                    r.commitment.title,
                    r.milestone.due_on.isoformat(),
                    r.note,
                )
                for r in m.met
            ],
            (21, 58, 56, 21, 24),
            "LLLLL",
        )
    else:
        pdf.paragraph(f"No milestone was completed in {report.month.label}.", muted=True)
    pdf.subheading("Missed")
    if m.missed:
        pdf.grid(
            ("Due", "Milestone", "Commitment", "Counterparty", "By month end"),
            [
                (
                    r.milestone.due_on.isoformat(),
                    r.milestone.title,
                    r.commitment.title,
                    r.commitment.counterparty.name,
                    r.note,
                )
                for r in m.missed
            ],
            (21, 49, 46, 35, 29),
            "LLLLL",
        )
    else:
        pdf.paragraph(f"No milestone due in {report.month.label} was missed.", muted=True)


def _exposure(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    x = report.exposure
    pdf.heading(f"Clawback exposure on {report.as_of.isoformat()}")
    missed = (
        f"; {x.with_missed_obligation} with an obligation past due and short"
        if x.with_missed_obligation
        else ""
    )
    pdf.paragraph(
        f"{report.currency} {format_amount(x.total.amount)}"
        + (f" plus {x.unconverted} that cannot be converted (no rate)" if x.unconverted else "")
        + " could be clawed back across "
        f"{len(x.rows)} of the {_plural(x.incentives_held, 'incentive')} held (awarded or in "
        f"compliance){missed}. Measured on the actuals of the month's last day, judged "
        "then."
    )
    if not x.rows:
        return
    pdf.grid(
        ("Incentive", "Granted by", "Status", "Rule", "Exposure", report.currency),
        [
            (
                r.incentive.title + (" (obligation missed)" if r.missed else ""),
                r.incentive.granting_partner.name,
                r.status_label,
                f"{r.rule.replace('_', ' ').capitalize()} ({r.share_pct}%)",
                _money(r.amount, r.incentive.currency),
                _converted(r.amount, r.converted, r.incentive.currency),
            )
            for r in x.top
        ],
        (50, 38, 22, 24, 26, 20),
        "LLLLRR",
    )
    if len(x.rows) > len(x.top):
        pdf.paragraph(
            f"The {len(x.top)} largest of {len(x.rows)} exposures; the total counts them all.",
            muted=True,
            size=8,
        )


def _health(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    h = report.health
    pdf.heading(f"Commitments by health on {report.as_of.isoformat()}")
    pdf.grid(
        ("Health", "Commitments", f"Value ({report.currency})"),
        [(b.label, b.count, format_amount(b.value.amount)) for b in h.buckets],
        (60, 60, 60),
        "LRR",
    )
    if not h.attention:
        return
    pdf.subheading("Needing attention")
    pdf.grid(
        ("Commitment", "Counterparty", "Health", "Why", "Value"),
        [
            (
                r.commitment.title,
                r.commitment.counterparty.name,
                r.health.label,
                r.health.reason,
                _money(r.commitment.value, r.commitment.currency),
            )
            for r in h.attention
        ],
        (40, 32, 14, 68, 26),
        "LLLLR",
    )


def _due_next(pdf: BoardReportPDF, report: MonthlyReport) -> None:
    d = report.due_next
    pdf.heading(f"Due in {d.month.label}")
    if not d.items:
        pdf.paragraph(f"Nothing open falls due in {d.month.label}.", muted=True)
        return
    pdf.paragraph(" · ".join(f"{label}: {n}" for label, n in d.by_kind))
    pdf.grid(
        ("Due", "Kind", "Item"),
        [(item.due_on.isoformat(), item.kind_label, item.title) for item in d.items],
        (21, 32, 127),
        "LLL",
    )
