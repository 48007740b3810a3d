"""The award letter: a one- or two-page PDF drawn with ReportLab (fast, no HTML engine needed)."""
import io
from xml.sax.saxutils import escape
from decimal import Decimal

from django.utils import timezone
from num2words import num2words
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fundops.money import CURRENCIES, format_money, minor_units, quantize

NETWORK = "Grassroots Justice Network"
BRAND = colors.HexColor("#1f5f5b")
MUTED = colors.HexColor("#5b6670")
LINE = colors.HexColor("#d5dbe0")


def amount_in_words(amount, currency):
    """Cheque style: 'Twelve thousand, five hundred and 50/100 US dollars (USD)'."""
    amount = quantize(amount, currency)
    places = minor_units(currency)
    whole = int(amount)
    words = num2words(whole, lang="en").capitalize()
    name = CURRENCIES.get(currency, currency)
    if places:
        fraction = int((amount - whole) * (10**places))
        return f"{words} and {fraction:0{places}d}/{10**places} — {name} ({currency})"
    return f"{words} — {name} ({currency})"


def _styles():
    base = getSampleStyleSheet()
    return {
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=13.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName="Helvetica", fontSize=8.5, leading=11, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=16, leading=20,
                                alignment=0, textColor=BRAND, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=11, leading=14,
                             textColor=BRAND, spaceBefore=7, spaceAfter=3),
        "right": ParagraphStyle("right", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=14, alignment=TA_RIGHT),
        "amount": ParagraphStyle("amount", parent=base["BodyText"], fontName="Helvetica-Bold", fontSize=13, leading=17),
    }


def _letterhead(canvas, doc):
    canvas.saveState()
    width, height = A4
    canvas.setFillColor(BRAND)
    canvas.rect(0, height - 26 * mm, width, 26 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont("Helvetica-Bold", 17)
    canvas.drawString(20 * mm, height - 14 * mm, NETWORK)
    canvas.setFont("Helvetica", 9.5)
    canvas.drawString(20 * mm, height - 20 * mm, doc.fund_name)
    canvas.drawRightString(width - 20 * mm, height - 14 * mm, "AWARD LETTER")
    canvas.drawRightString(width - 20 * mm, height - 20 * mm, doc.reference)
    canvas.setStrokeColor(LINE)
    canvas.line(20 * mm, 16 * mm, width - 20 * mm, 16 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(20 * mm, 11 * mm, f"{NETWORK} · {doc.fund_name} · Award {doc.reference}")
    canvas.drawRightString(width - 20 * mm, 11 * mm, f"Page {doc.page}")
    canvas.restoreState()


def award_letter_pdf(*, grant, tranches):
    """The letter as PDF bytes. `tranches` is the grant's tranches in order."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=34 * mm, bottomMargin=22 * mm,
        title=f"Award letter {grant.reference}", author=NETWORK, subject=grant.fund.name,
    )
    doc.fund_name, doc.reference = grant.fund.name, grant.reference
    organization = grant.organization
    application = grant.application
    org_name, title = escape(organization.name), escape(application.title or "your proposal")
    contact = organization.contact_name if organization.contact_name not in ("", "—") else ""
    decided = timezone.localtime(grant.decided_at).date()
    address = ", ".join(part for part in [organization.city, organization.country.name] if part)
    story = [
        Table(
            [[Paragraph(f"<b>{org_name}</b><br/>{escape(address)}<br/>{('Attn: ' + escape(contact)) if contact else ''}",
                        styles["body"]),
              Paragraph(f"{decided:%-d %B %Y}<br/>Reference <b>{grant.reference}</b>", styles["right"])]],
            colWidths=[100 * mm, 65 * mm], style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
        ),
        Spacer(1, 5 * mm),
        Paragraph(f"Award of a grant from the {grant.fund.name}", styles["title"]),
        Paragraph(f"Dear {escape(contact) or 'colleagues'},", styles["body"]),
        Spacer(1, 2 * mm),
        Paragraph(
            f"We are pleased to confirm that the {escape(grant.fund.name)} awards <b>{org_name}</b> a grant for "
            f"“{title}”. This letter sets out the amount, the payment schedule and the "
            "conditions of the award.", styles["body"],
        ),
        Spacer(1, 4 * mm),
    ]
    figures = [
        ["Award reference", grant.reference],
        ["Amount", Paragraph(format_money(grant.amount, grant.currency), styles["amount"])],
        ["In words", Paragraph(amount_in_words(grant.amount, grant.currency), styles["body"])],
    ]
    if application.planned_start and application.planned_end:
        figures.append(["Grant period", f"{application.planned_start:%-d %B %Y} – {application.planned_end:%-d %B %Y}"])
    story.append(Table(figures, colWidths=[38 * mm, 127 * mm], style=TableStyle([
        ("FONTNAME", (0, 0), (0, -1), "Helvetica"), ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("FONTSIZE", (0, 0), (-1, -1), 10), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE), ("BOTTOMPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ])))

    story.append(Paragraph("Payment schedule", styles["h2"]))
    rows = [["Tranche", "Due on", "Amount", "Share"]]
    for tranche in tranches:
        share = (Decimal(tranche.amount) * 100 / grant.amount).quantize(Decimal("0.1"))
        rows.append([str(tranche.number), f"{tranche.due_on:%-d %B %Y}", format_money(tranche.amount, grant.currency), f"{share}%"])
    rows.append(["Total", "", format_money(sum(t.amount for t in tranches), grant.currency), "100%"])
    story.append(Table(rows, colWidths=[22 * mm, 55 * mm, 58 * mm, 30 * mm], style=TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f2")),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
        ("LINEABOVE", (0, -1), (-1, -1), 1, BRAND), ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ])))
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(
        "Payments are made by bank transfer to the account the organisation has confirmed with us. "
        "Please tell us at once if your bank details change.", styles["small"]))

    story.append(Paragraph("Conditions", styles["h2"]))
    conditions = [line.strip() for line in (grant.conditions or "").splitlines() if line.strip()]
    conditions += [
        "The grant is used for the purposes described in the application; material changes are agreed in writing first.",
        "The organisation submits the narrative and financial reports the fund asks for, and a final report at the end of the grant period.",
        "Unspent funds at the end of the grant period are returned unless the fund agrees otherwise.",
    ]
    for number, line in enumerate(conditions, start=1):
        story.append(Paragraph(f"{number}. {escape(line)}", styles["body"]))

    signer = grant.decided_by.get_full_name() if grant.decided_by else "Program officer"
    story.append(KeepTogether([
        Spacer(1, 4 * mm),
        Paragraph("With our congratulations and solidarity,", styles["body"]),
        Spacer(1, 9 * mm),
        Table([["_" * 34, "_" * 34], [f"{signer}\nProgram officer, {grant.fund.name}",
                                      f"For {organization.name}\nName, title and date"]],
              colWidths=[82 * mm, 83 * mm], style=TableStyle([
                  ("FONTSIZE", (0, 0), (-1, -1), 9), ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                  ("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP"),
              ])),
        Spacer(1, 1 * mm),
        Paragraph("Please sign and return a copy of this letter to accept the award.", styles["small"]),
    ]))
    doc.build(story, onFirstPage=_letterhead, onLaterPages=_letterhead)
    return buffer.getvalue()
