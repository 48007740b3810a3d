"""The donor report's charts, drawn with ReportLab's graphics and written out as SVG for WeasyPrint."""
import base64
import math
from decimal import Decimal
from html import escape

from django.utils.translation import gettext as _
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth


WIDTH = 490  # points: the text width of an A4 page with 18 mm margins
BRAND = colors.HexColor("#0b5c55")
MUTED = colors.HexColor("#5b6877")
GRID = colors.HexColor("#d9dfe6")
FONT = "Helvetica"


def compact(amount):
    """1234567 -> "1.2M", for chart labels only (tables carry the exact figures)."""
    value = float(amount)  # display only: the exact Decimal stays in the tables
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.0f}"


def nice_ticks(maximum, count=4):
    """Round axis steps (1, 2, 2.5 or 5 times a power of ten) covering 0..maximum."""
    if maximum <= 0:
        return [0, 1]
    raw = float(maximum) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [step * i for i in range(int(math.ceil(float(maximum) / step)) + 1)]


def to_svg(drawing, title):
    """An <img> holding the chart as an SVG data URI (its own document, so ids never clash)."""
    svg = renderSVG.drawToString(drawing).replace("<title>...</title>", f"<title>{escape(title)}</title>")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart-image" alt="{escape(title)}" src="data:image/svg+xml;base64,{data}">'



def _fit(text, width, size):
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def country_bar_chart(rows, currency, limit=15):
    """Horizontal bars: amount disbursed per country (or committed, when nothing is paid yet).

    `rows` are the report's country rows; the largest `limit` are drawn on one scale and the
    rest are summed in a caption (one bar for them all would dwarf every country).
    """
    measure = "disbursed" if any(r["disbursed"] for r in rows) else "committed"
    ranked = sorted(rows, key=lambda r: (-r[measure], r["label"]))
    bars = [(r["label"], r[measure]) for r in ranked[:limit]]
    rest = ranked[limit:]
    row_h, top, bottom, label_w, value_w = 15, 22, 18 + (14 if rest else 0), 190, 56
    height = top + bottom + row_h * len(bars)
    plot_w = WIDTH - label_w - value_w
    drawing = Drawing(WIDTH, height)
    ticks = nice_ticks(max((amount for _, amount in bars), default=0))
    scale = plot_w / ticks[-1]
    title = f"{'Disbursed' if measure == 'disbursed' else 'Committed'} per country, {currency}"
    if rest:
        title += f" — the {len(bars)} largest of {len(rows)} rows"
    drawing.add(String(0, height - 12, title, fontName=FONT + "-Bold", fontSize=9, fillColor=colors.black))
    axis_y = bottom
    for tick in ticks:
        x = label_w + tick * scale
        drawing.add(Line(x, axis_y, x, height - top, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(x, axis_y - 11, compact(tick), fontName=FONT, fontSize=7, fillColor=MUTED, textAnchor="middle"))
    for i, (label, amount) in enumerate(bars):
        y = height - top - (i + 1) * row_h
        drawing.add(String(label_w - 6, y + 4, _fit(label, label_w - 8, 8), fontName=FONT, fontSize=8,
                           fillColor=colors.black, textAnchor="end"))
        drawing.add(Rect(label_w, y + 2, max(float(amount) * scale, 0.5), row_h - 5, fillColor=BRAND, strokeColor=None))
        drawing.add(String(label_w + float(amount) * scale + 4, y + 4, compact(amount), fontName=FONT, fontSize=7.5,
                           fillColor=MUTED))
    drawing.add(Line(label_w, axis_y, label_w, height - top, strokeColor=MUTED, strokeWidth=0.7))
    if rest:
        others = sum((r[measure] for r in rest), Decimal(0))
        drawing.add(String(label_w, 2, f"The other {len(rest)} rows together: {compact(others)} {currency} (all in the table below)",
                           fontName=FONT, fontSize=7.5, fillColor=MUTED))
    return to_svg(drawing, f"Amounts {measure} per country")


def monthly_chart(months, currency, unit="month"):
    """Vertical bars: base amount disbursed each month (or quarter, `unit`), labelled under each bar."""
    height, top, bottom, left = 190, 24, 30, 44
    plot_w, plot_h = WIDTH - left - 6, height - top - bottom
    drawing = Drawing(WIDTH, height)
    title = _("Disbursed per quarter, %(currency)s") if unit == "quarter" else _("Disbursed per month, %(currency)s")
    drawing.add(String(0, height - 12, title % {"currency": currency}, fontName=FONT + "-Bold", fontSize=9))
    ticks = nice_ticks(max((m["disbursed"] for m in months), default=0))
    scale = plot_h / ticks[-1]
    for tick in ticks:
        y = bottom + tick * scale
        drawing.add(Line(left, y, WIDTH - 6, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(left - 4, y - 3, compact(tick), fontName=FONT, fontSize=7, fillColor=MUTED, textAnchor="end"))
    slot = plot_w / max(len(months), 1)
    every = max(1, math.ceil(len(months) / 14))  # at most ~14 month labels so they never overlap
    for i, month in enumerate(months):
        x = left + i * slot
        bar_h = float(month["disbursed"]) * scale
        bar_w = min(slot * 0.7, 48)  # a few months should not look like a wall
        drawing.add(Rect(x + (slot - bar_w) / 2, bottom, bar_w, max(bar_h, 0.5), fillColor=BRAND, strokeColor=None))
        if i % every == 0:
            drawing.add(String(x + slot / 2, bottom - 11, month["label"], fontName=FONT, fontSize=7, textAnchor="middle"))
        if len(months) <= 14:
            drawing.add(String(x + slot / 2, bottom + bar_h + 3, compact(month["disbursed"]), fontName=FONT,
                               fontSize=7, fillColor=MUTED, textAnchor="middle"))
    drawing.add(Line(left, bottom, WIDTH - 6, bottom, strokeColor=MUTED, strokeWidth=0.7))
    return to_svg(drawing, _("Disbursed per quarter") if unit == "quarter" else _("Disbursed per month"))
