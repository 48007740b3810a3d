"""Drawing a built DonorReport as PDF, XLSX or CSV. No queries here: builders.py fetched everything.

The PDF is WeasyPrint (cover, figures, tables, SVG charts) followed by the grants annex drawn
directly with ReportLab: WeasyPrint lays out a 10,000-row table in tens of seconds, the canvas
in well under one, and pypdf joins the two. ReportLab measures text with its C accelerator
(the `rl_accel` package, `_rl_accel`) when installed, and every width is measured once.
The XLSX is written by openpyxl in write-only mode (rows stream to the file, no cell objects kept);
the CSV is the country table only, written with the csv module.

Heavy libraries (WeasyPrint, pypdf, openpyxl) are imported inside the function that draws their
format, so loading the site (URLconf, `manage.py check`) never pays for them.
"""
import csv
import functools
import io
import math
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from fundops.money import minor_units, quantize
from fundops.spreadsheets import safe_row
from grantee_reports.selectors import donor_report_section

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


def country_table_rows(report):
    """The by-country table with its TOTAL row; amounts stay Decimal. An undisclosed row has no
    country code; its `country` is the group's label and its `region` the block it is shown in
    (docs/disclosure.md)."""
    cur = report.currency
    for r in report.country_rows:
        yield [r["country_code"], r["country"], r["region"], r["grants"], r["organisations"], quantize(r["committed"], cur),
               quantize(r["disbursed"], cur), cur]
    yield ["TOTAL", "", "", report.grants, report.organisations, quantize(report.committed, cur),
           quantize(report.disbursed, cur), cur]


def render_csv(report):
    """The country table: text cells are neutralised (fundops.spreadsheets) before amounts become
    plain text, so an amount is never mistaken for a formula and never prefixed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(safe_row(CSV_COLUMNS))
    for row in country_table_rows(report):
        row = safe_row(row)
        row[5], row[6] = _plain(row[5], report.currency), _plain(row[6], report.currency)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


_AMOUNT_HEADERS = {"committed", "disbursed", "value", "amount"}


def _sheet(book, name, header, rows, amount_format):
    """One write-only sheet: column widths from the header and the first 200 rows, the header
    row frozen, Decimal amounts in money columns with the currency's number format."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    rows = iter(rows)
    head = [safe_row(row) for row in _take(rows, 200)]
    header = safe_row(header)
    for index, title in enumerate(header, start=1):
        width = max([len(str(title or ""))] + [len(str(row[index - 1])) for row in head if row[index - 1] is not None]) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
    sheet.freeze_panes = "A2"
    money = [str(title) in _AMOUNT_HEADERS or str(title).startswith(("awarded_", "committed_", "disbursed_", "amount_"))
             for title in header]
    sheet.append(header)
    # One formatted cell per money column, reused row after row: a write-only sheet writes each row
    # out as it is appended, so only the value changes (no cell object or style look-up per amount).
    styled = {}
    for index, is_money in enumerate(money):
        if is_money:
            styled[index] = WriteOnlyCell(sheet)
            styled[index].number_format = amount_format

    def cells(row):
        out = list(row)
        for index, cell in styled.items():
            value = out[index]
            if isinstance(value, Decimal):
                cell.value = value
                out[index] = cell
        return out

    for row in head:
        sheet.append(cells(row))
    for row in rows:
        sheet.append(cells(safe_row(row)))


def _take(iterator, count):
    for _n in range(count):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _summary(report):
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
    return summary


def render_xlsx(report):
    """Five sheets written by openpyxl in write-only mode: rows go to the file as they come."""
    from openpyxl import Workbook

    cur = report.currency
    q = lambda v: quantize(v, cur) if v is not None else None  # noqa: E731
    amount_format = "#,##0" + ("." + "0" * minor_units(cur) if minor_units(cur) else "")
    book = Workbook(write_only=True)
    _sheet(book, "Summary", ["", "value"], (list(row) for row in _summary(report)), amount_format)
    _sheet(book, "By country", CSV_COLUMNS, country_table_rows(report), amount_format)
    _sheet(book, "By region", ["region", "grants", "organisations", "committed", "disbursed", "currency"],
           ([r["region"], r["grants"], r["organisations"], q(r["committed"]), q(r["disbursed"]), cur] for r in report.regions),
           amount_format)
    _sheet(book, "Grants",
           ["reference", "organisation", "country", "decided_on", f"awarded_{cur}", f"committed_{cur}",
            f"disbursed_{cur}", "status"],
           ([g["reference"], g["organisation"], g["country"], g["decided_on"], q(g["awarded"]), q(g["committed"]),
             q(g["disbursed"]), g["status"]] for g in report.annex),
           amount_format)
    # Undisclosed grants' payments arrive folded: a quarter ("2026-Q2") and a group, in the base currency.
    _sheet(book, "Payments", ["paid_on", "grant", "organisation", "currency", "amount", "fx_rate", f"amount_{cur}"],
           ([p["paid_on"], p["grant"], p["organisation"], p["currency"], quantize(p["amount"], p["currency"]),
             p["fx_rate"], q(p["base_amount"])] for p in report.payments),
           amount_format)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# PDF ----------------------------------------------------------------------------------------

from reportlab.lib import colors  # noqa: E402  (the PDF half; this module is imported only to draw a report)
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402


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

    from . import charts

    context = {"report": report, "grantee_reports": _grantee_reports_section(report)}
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


def _grantee_reports_section(report):
    """The short section on grantees' own reports: due, received, accepted, overdue, and a few
    consented learning excerpts (at-risk safe: grantee_reports.selectors.public_entry)."""
    return donor_report_section(fund=report.fund, start=report.period.start, end=report.period.end)


_FONT, _BOLD = "Helvetica", "Helvetica-Bold"


@functools.lru_cache(maxsize=65536)
def _width(text, font, size):
    """A string's width, measured once (C accelerator when installed): the annex repeats its countries,
    totals and headers on every page."""
    return pdfmetrics.stringWidth(text, font, size)


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
    if len(text) * size * 0.62 <= width or _width(text, font, size) <= width:
        return text
    while text and _width(text + "…", font, size) > width:
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
