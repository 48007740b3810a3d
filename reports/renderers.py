"""Drawing a built DonorReport as PDF, XLSX or CSV. No queries here: builders.py fetched everything.

The PDF is WeasyPrint (cover, figures, tables, SVG charts) followed by the grants annex drawn
directly with ReportLab: WeasyPrint lays out a 10,000-row table in tens of seconds, the canvas
in well under one, and pypdf joins the two.
"""
import io
import math
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from django.utils.translation import gettext as _

from fundops.money import minor_units, quantize
from fundops.spreadsheets import safe_row

from . import charts

CSV_COLUMNS = ["country_code", "country", "region", "grants", "organisations", "committed", "disbursed", "currency"]
FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
_BASE_URL = "https://report.fundops.invalid/"


def render(report, fmt):
    return {"pdf": render_pdf, "xlsx": render_xlsx, "csv": render_csv}[fmt](report)


def _plain(amount, currency):
    """A plain decimal string ("1234.50"), quantised to the currency's minor unit."""
    return f"{quantize(amount, currency):f}"


# CSV and XLSX -----------------------------------------------------------------------------


def _frame(rows, columns):
    """A DataFrame whose text cells a spreadsheet will not run as formulas (fundops.spreadsheets)."""
    return pd.DataFrame([safe_row(row) for row in rows], columns=safe_row(columns))


def country_frame(report, as_text=False):
    """The by-country table with its TOTAL row; amounts stay Decimal (or plain text for CSV).

    An undisclosed row has no country code; its `country` is the group's label and its `region`
    the block it is shown in (docs/disclosure.md). Text cells are neutralised before amounts become text,
    so an amount is never mistaken for a formula and never prefixed.
    """
    cur = report.currency
    rows = [
        [r["country_code"], r["country"], r["region"], r["grants"], r["organisations"], quantize(r["committed"], cur),
         quantize(r["disbursed"], cur), cur]
        for r in report.country_rows
    ]
    rows.append(["TOTAL", "", "", report.grants, report.organisations, quantize(report.committed, cur),
                 quantize(report.disbursed, cur), cur])
    frame = _frame(rows, CSV_COLUMNS)
    if as_text:
        for column in ["committed", "disbursed"]:
            frame[column] = frame[column].map(lambda v: _plain(v, cur))
    return frame


def render_csv(report):
    return country_frame(report, as_text=True).to_csv(index=False, lineterminator="\n").encode("utf-8")


def render_xlsx(report):
    cur = report.currency
    q = lambda v: quantize(v, cur) if v is not None else None  # noqa: E731
    summary = [
        ("Fund", report.fund.name),
        ("Period from", report.period.start),
        ("Period to", report.period.end),
        ("Base currency", cur),
        ("Mobilised (received by period end)", q(report.mobilised)),
        ("Pledged, not yet received", q(report.pledged)),
        ("Committed in period", q(report.committed)),
        ("Disbursed in period", q(report.disbursed)),
        ("Grants", report.grants),
        ("Organisations", report.organisations),
        ("Countries reached (named)", report.countries_reached),
    ]
    if report.has_undisclosed:
        summary.append(("Undisclosed organisations", _(
            "Shown only in groups of at least 3 organisations (region, continent or one catch-all row), "
            "under generated references, dated to the quarter.")))
    if report.donor is not None:
        summary += [
            ("Donor", report.donor.name),
            ("Donor's contributions received", q(report.donor_received)),
            ("Donor's share of the fund", report.donor_share),
            ("Donor's estimated share of disbursed", q(report.donor_share_of_disbursed)),
        ]
    if report.speed:
        s = report.speed
        summary += [
            ("Days submission to decision, median", s.get("decision_median")),
            ("Days submission to decision, 90th percentile", s.get("decision_p90")),
            ("Days decision to first payment, median", s.get("payment_median")),
            ("Days decision to first payment, 90th percentile", s.get("payment_p90")),
            ("Share decided within target", s.get("within_target_share")),
            ("Undecided past the target (counted as missed)", s.get("missed_undecided")),
        ]
    if report.is_empty:
        summary.append(("Note", "No grants in this period."))
    regions = _frame(
        [[r["region"], r["grants"], r["organisations"], q(r["committed"]), q(r["disbursed"]), cur] for r in report.regions],
        ["region", "grants", "organisations", "committed", "disbursed", "currency"],
    )
    grants = _frame(
        [[g["reference"], g["organisation"], g["country"], g["decided_on"], q(g["awarded"]), q(g["committed"]),
          q(g["disbursed"]), g["status"]] for g in report.annex],
        ["reference", "organisation", "country", "decided_on", f"awarded_{cur}", f"committed_{cur}",
                 f"disbursed_{cur}", "status"],
    )
    # Undisclosed grants' payments arrive folded: a quarter ("2026-Q2") and a group, in the base currency.
    payments = _frame(
        [[p["paid_on"], p["grant"], p["organisation"], p["currency"], quantize(p["amount"], p["currency"]), p["fx_rate"],
          q(p["base_amount"])] for p in report.payments],
        ["paid_on", "grant", "organisation", "currency", "amount", "fx_rate", f"amount_{cur}"],
    )
    sheets = {
        "Summary": _frame(summary, ["", "value"]),
        "By country": country_frame(report),
        "By region": regions,
        "Grants": grants,
        "Payments": payments,
    }
    buffer = io.BytesIO()
    amount_format = "#,##0" + ("." + "0" * minor_units(cur) if minor_units(cur) else "")
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column_cells in sheet.columns:
                header = str(column_cells[0].value or "")
                width = max([len(header)] + [len(str(c.value)) for c in column_cells[1:200]]) + 2
                sheet.column_dimensions[column_cells[0].column_letter].width = min(width, 60)
                if header in {"committed", "disbursed", "value", "amount"} or header.startswith(("awarded_", "committed_", "disbursed_", "amount_")):
                    for cell in column_cells[1:]:
                        if cell.value.__class__.__name__ == "Decimal":
                            cell.number_format = amount_format
            sheet.freeze_panes = "A2"
    return buffer.getvalue()


# PDF ----------------------------------------------------------------------------------------


def static_only_fetcher():
    """A WeasyPrint URL fetcher that reads our own static files and nothing else: no network, no paths."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:image/svg+xml;base64,"):
                return super().fetch(url, headers)  # our own charts, inline: nothing is fetched
            prefix = _BASE_URL.rstrip("/") + settings.STATIC_URL
            if not url.startswith(prefix):
                raise ValueError(f"Donor reports load only the site's own static files, not {url}")
            relative = url[len(prefix):].split("?")[0].split("#")[0]
            path = finders.find(relative) if ".." not in relative.split("/") else None
            if not path:
                raise ValueError(f"No static file {relative}")
            mime = "text/css" if relative.endswith(".css") else "application/octet-stream"
            return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": mime})

    return StaticOnlyFetcher(allowed_protocols=["https", "data"])


def render_pdf(report):
    from pypdf import PdfWriter
    from weasyprint import HTML

    context = {"report": report}
    if not report.is_empty:
        context["country_chart"] = charts.country_bar_chart(report.country_rows, report.currency)
        if report.monthly:
            context["monthly_chart"] = charts.monthly_chart(report.monthly, report.currency, report.time_unit)
    html = render_to_string("reports/donor_report.html", context)
    document = HTML(string=html, base_url=_BASE_URL, url_fetcher=static_only_fetcher()).render()
    main = document.write_pdf()
    if report.is_empty:
        return main
    annex = render_annex(report, first_page=len(document.pages) + 1)
    writer = PdfWriter()
    writer.append(io.BytesIO(main))
    writer.append(io.BytesIO(annex))
    writer.add_metadata({"/Title": report.title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_FONT, _BOLD = "Helvetica", "Helvetica-Bold"


def _fonts():
    """DejaVu Sans (covers most scripts grantees' names are written in) when installed, else Helvetica."""
    global _FONT, _BOLD
    regular = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    bold = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if _FONT == "Helvetica" and regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        _FONT, _BOLD = "DejaVuSans", "DejaVuSans-Bold"
    return _FONT, _BOLD


# (header, width in points, right-aligned)
ANNEX_COLUMNS = [("Reference", 92, False), ("Organisation", 125, False), ("Country", 152, False),
                 ("Awarded", 62, True), ("Disbursed", 62, True)]
_ROW_H = 12.5


def _clip(text, width, font, size):
    # Cheap test first: most cells fit, and measuring every one would slow the 10,000-row annex.
    if len(text) * size * 0.62 <= width or pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render_annex(report, first_page=1):
    """Annex of grants, one line each, drawn straight onto the page (see the module docstring)."""
    font, bold = _fonts()
    cur = report.currency
    page_w, page_h = A4
    left, top, bottom = 51, page_h - 51, 57
    rows_per_page = int((top - 40 - bottom) // _ROW_H)
    pages = max(1, math.ceil((len(report.annex) + 1) / rows_per_page))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(report.title)
    places = minor_units(cur)

    def page_header(number):
        pdf.setFont(bold, 12)
        pdf.setFillColor(colors.HexColor("#0b5c55"))
        pdf.drawString(left, top, f"Annex: grants ({number} of {pages})")
        pdf.setFont(font, 7.5)
        pdf.setFillColor(colors.HexColor("#5b6877"))
        pdf.drawString(left, top - 13, f"{report.fund.name} · {report.period} · amounts in {cur}")
        pdf.drawString(left, 30, report.fund.name)
        pdf.drawRightString(page_w - left, 30, f"Page {first_page + number - 1}")
        y = top - 32
        pdf.setFillColor(colors.HexColor("#f4f6f8"))
        pdf.rect(left, y - 3.5, sum(w for _, w, _ in ANNEX_COLUMNS), _ROW_H, stroke=0, fill=1)
        pdf.setFillColor(colors.HexColor("#5b6877"))
        pdf.setFont(bold, 7)
        x = left
        for header, width, right in ANNEX_COLUMNS:
            pdf.drawRightString(x + width - 3, y, header) if right else pdf.drawString(x + 3, y, header)
            x += width
        pdf.setFillColor(colors.black)
        pdf.setFont(font, 7)
        return y - _ROW_H

    def line(y, cells, row_font):
        x = left
        for column, ((header, width, right), text) in enumerate(zip(ANNEX_COLUMNS, cells)):
            if right:
                pdf.drawRightString(x + width - 3, y, text)
            elif column == 0:
                # A reference is what a donor quotes back to us: shrink it to fit, never cut it.
                size = 7
                while size > 4.5 and pdfmetrics.stringWidth(text, row_font, size) > width - 6:
                    size -= 0.5
                pdf.setFont(row_font, size)
                pdf.drawString(x + 3, y, text)
                pdf.setFont(row_font, 7)
            else:
                pdf.drawString(x + 3, y, _clip(text, width - 6, row_font, 7))
            x += width

    number = 1
    y = page_header(number)
    for i, grant in enumerate(report.annex):
        if i and i % rows_per_page == 0:
            pdf.showPage()
            number += 1
            y = page_header(number)
        note = "" if grant["status"] == "active" else " (cancelled)"
        line(y, [grant["reference"], grant["organisation"] + note, grant["country"],
                 f"{quantize(grant['awarded'], cur):,.{places}f}", f"{quantize(grant['disbursed'], cur):,.{places}f}"], font)
        y -= _ROW_H
    if (len(report.annex)) % rows_per_page == 0:
        pdf.showPage()
        number += 1
        y = page_header(number)
    pdf.setFont(bold, 7)
    pdf.line(left, y + _ROW_H - 3, left + sum(w for _, w, _ in ANNEX_COLUMNS), y + _ROW_H - 3)
    awarded = sum((g["awarded"] for g in report.annex), 0)
    line(y, [f"Total: {len(report.annex)} grants", "", "", f"{quantize(awarded, cur):,.{places}f}",
             f"{quantize(report.disbursed, cur):,.{places}f}"], bold)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
