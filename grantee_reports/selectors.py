"""Reads about grantee reports that the pages, the to-do lists and the donor report share: a grant
as its grantee sees it, a report's money, the officers' queue, the public learning library and the
donor report's section. The learning library and the donor section never name or locate an at-risk
grantee: `public_entry` is the one place that decides what of an entry may be shown."""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursements.models import PAID_STATES
from disbursements.selectors import grant_summary, grant_tranches
from fundops.disclosure import public_organization_name, quarter_label
from fundops.money import quantize
from fundops.regions import SUBREGION_BY_COUNTRY, region_for
from fundops.themes import LEARNING_THEMES

from .models import (
    LEARNING_LANGUAGES, OPEN_STATES, GrantReport, LearningEntry, ReportState,
)

ZERO = Decimal("0")
UNDISCLOSED_REGION = "Undisclosed"
THEME_LABELS = dict(LEARNING_THEMES)
LANGUAGE_LABELS = dict(LEARNING_LANGUAGES)


# A grant as its grantee sees it ------------------------------------------------------------


def grant_reports(*, grant):
    return list(grant.reports.select_related("requirement").order_by("due_on", "order", "pk"))


def grant_overview(*, grant):
    """Everything the grant page shows, summed by the database."""
    summary = grant_summary(grant=grant)
    active = grant.status == grant.Status.ACTIVE
    return {
        "summary": summary,
        # What the grantee may still expect: the award not yet paid (nothing, once it is cancelled).
        "to_come": grant.amount - summary["paid"] if active else ZERO,
        "tranches": grant_tranches(grant=grant),
        "payments": list(grant.payments.filter(state__in=PAID_STATES).select_related("tranche").order_by("paid_on", "pk")),
        "reports": grant_reports(grant=grant),
        "documents": list(grant.documents.all()),
    }


def report_money(report, *, paid=None):
    """A financial or final report's figures, in the grant's currency: paid to date, spent to date as
    reported, and the unspent balance (paid - spent)."""
    grant = report.grant
    if paid is None:
        paid = grant_summary(grant=grant)["paid"]
    total = report.budget_lines.aggregate(total=Sum("amount", default=ZERO))["total"]
    spent = quantize(Decimal(total), grant.currency)
    return {"paid": paid, "spent": spent, "unspent": paid - spent, "currency": grant.currency}


# Program officers --------------------------------------------------------------------------


def reports_queue(*, fund=None, state=None, overdue=False):
    queryset = GrantReport.objects.select_related("grant", "grant__organization", "grant__fund")
    if fund is not None:
        queryset = queryset.filter(grant__fund=fund)
    if overdue:
        queryset = queryset.filter(state__in=OPEN_STATES, due_on__lt=timezone.localdate(), grant__status="active")
    elif state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("due_on", "pk")


def submitted_reports():
    return reports_queue(state=ReportState.SUBMITTED).order_by("submitted_at", "pk")


def overdue_reports():
    return reports_queue(overdue=True)


# The learning library ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    """A learning entry as the public may see it."""

    text: str
    organisation: str  # the name, or "Undisclosed organisation" for an at-risk grantee
    country: str  # "" for an at-risk grantee
    region: str  # the sub-region; for an at-risk grantee only with its consent, else "Undisclosed"
    fund: str
    quarter: str
    language: str
    language_label: str
    themes: tuple = field(default_factory=tuple)  # labels


def _visible_region(organization, entry):
    if organization.at_risk and not entry.consent_region:
        return _(UNDISCLOSED_REGION)
    return region_for(organization.country.code)


def public_entry(entry):
    """What the library and the donor report show of an entry: never an at-risk grantee's name or
    country, and its region only when it consented to that. Nothing that identifies the grant."""
    report = entry.report
    organization = report.grant.organization
    return PublicEntry(
        text=entry.text,
        organisation=public_organization_name(organization),
        country="" if organization.at_risk else organization.country.name,
        region=_visible_region(organization, entry),
        fund=report.grant.fund.name,
        quarter=quarter_label(timezone.localdate(report.accepted_at)),
        language=entry.language,
        language_label=LANGUAGE_LABELS.get(entry.language, entry.language),
        themes=tuple(str(THEME_LABELS.get(t.theme, t.theme)) for t in entry.themes.all()),
    )


def published_entries():
    """Entries of accepted reports whose grantee consented to publish, newest first."""
    return (
        LearningEntry.objects.filter(report__state=ReportState.ACCEPTED, consent_publish=True)
        .select_related("report", "report__grant", "report__grant__organization", "report__grant__fund")
        .prefetch_related("themes")
        .order_by("-report__accepted_at", "-pk")
    )


def _countries_of(region):
    return [code for code, subregion in SUBREGION_BY_COUNTRY.items() if subregion == region]


def learning_library(*, text="", theme="", region="", language=""):
    """Published entries matching the filters. The region filter finds an at-risk grantee's entry
    only when it consented to show its region, so filtering cannot locate one that did not."""
    entries = published_entries()
    text = " ".join((text or "").split())[:200]
    if text:
        entries = entries.filter(text__icontains=text)
    if theme:
        entries = entries.filter(themes__theme=theme)
    if language:
        entries = entries.filter(language=language)
    if region == UNDISCLOSED_REGION:
        entries = entries.filter(report__grant__organization__at_risk=True, consent_region=False)
    elif region:
        in_region = Q(report__grant__organization__country__in=_countries_of(region))
        shown = Q(report__grant__organization__at_risk=False) | Q(consent_region=True)
        entries = entries.filter(in_region & shown)
    return entries.distinct()


def library_regions():
    """The regions a reader can filter by: those the published entries may show."""
    rows = published_entries().values_list(
        "report__grant__organization__country", "report__grant__organization__at_risk", "consent_region"
    ).distinct()
    regions = {UNDISCLOSED_REGION if at_risk and not consent else region_for(country) for country, at_risk, consent in rows}
    return sorted(regions - {UNDISCLOSED_REGION}) + ([UNDISCLOSED_REGION] if UNDISCLOSED_REGION in regions else [])


# The donor report's section --------------------------------------------------------------------


@dataclass
class DonorReportSection:
    """Grantee reports of one fund in a period: counts and a few consented learning excerpts."""

    due: int
    received: int
    accepted: int
    overdue: int
    excerpts: list = field(default_factory=list)  # [PublicEntry], at-risk safe

    @property
    def is_empty(self):
        return not (self.due or self.received or self.accepted or self.overdue or self.excerpts)


EXCERPT_LENGTH = 400


def _aware_bounds(start, end):
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end, datetime.time.max, tzinfo=tz),
    )


def donor_report_section(*, fund, start, end, excerpts=3):
    """For the donor report of `fund` over [start, end] (dates, inclusive):
    due — reports whose due date falls in the period; received — first submitted in the period;
    accepted — accepted in the period; overdue — due in the period and still not submitted today;
    excerpts — up to `excerpts` learning entries accepted in the period with consent to publish,
    never naming or locating an at-risk grantee (public_entry)."""
    since, until = _aware_bounds(start, end)
    reports = GrantReport.objects.filter(grant__fund=fund)
    counts = reports.aggregate(
        due=Count("pk", filter=Q(due_on__range=(start, end))),
        received=Count("pk", filter=Q(first_submitted_at__range=(since, until))),
        accepted=Count("pk", filter=Q(accepted_at__range=(since, until))),
        overdue=Count("pk", filter=Q(due_on__range=(start, end), due_on__lt=timezone.localdate(),
                                     state__in=OPEN_STATES, grant__status="active")),
    )
    entries = published_entries().filter(report__grant__fund=fund, report__accepted_at__range=(since, until))[:excerpts]
    shown = []
    for entry in entries:
        public = public_entry(entry)
        if len(public.text) > EXCERPT_LENGTH:
            cut = public.text[:EXCERPT_LENGTH].rsplit(" ", 1)[0]
            public = PublicEntry(**{**public.__dict__, "text": cut + " …"})
        shown.append(public)
    return DonorReportSection(excerpts=shown, **counts)
