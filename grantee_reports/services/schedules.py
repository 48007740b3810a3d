"""A fund's reporting requirements, and each approved grant's report schedule: due dates computed
from the requirement's rule, and the tranche a report holds back until it is accepted."""
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from disbursements.models import PAID_STATES, Tranche
from disbursements.services import tranche_hold, tranche_release
from fundops.models import Questionnaire

from ..models import OPEN_STATES, GrantReport, ReportKind, ReportRequirement, ReportState
from ._common import audit_event, locked_report, require, require_officer

Rule = ReportRequirement.DueRule
REQUIREMENT_FIELDS = ["kind", "title", "due_rule", "tranche_number", "days", "fixed_date", "gates_next_tranche", "order"]
# What a rapid-response fund's grantees owe when the fund sets nothing: one short final report.
RAPID_DEFAULT = dict(
    kind=ReportKind.FINAL, title="Short final report", due_rule=Rule.END_PLUS_DAYS, days=30, order=0,
)


# Requirements ---------------------------------------------------------------------------


def _clean_requirement(fields):
    unknown = set(fields) - set(REQUIREMENT_FIELDS)
    if unknown:
        raise ValidationError(f"Not requirement fields: {', '.join(sorted(unknown))}.")
    cleaned = dict(fields)
    cleaned["title"] = " ".join(str(cleaned.get("title") or "").split())[:200]
    errors = {}
    if not cleaned["title"]:
        errors["title"] = [_("Give the report a title, e.g. “Six-month progress report”.")]
    if cleaned.get("kind") not in ReportKind.values:
        errors["kind"] = [_("Choose the kind of report.")]
    rule = cleaned.get("due_rule")
    if rule not in Rule.values:
        errors["due_rule"] = [_("Choose when the report falls due.")]
    if rule == Rule.AFTER_TRANCHE and not cleaned.get("tranche_number"):
        errors["tranche_number"] = [_("Say after which tranche (1 is the first).")]
    if rule == Rule.FIXED_DATE and not cleaned.get("fixed_date"):
        errors["fixed_date"] = [_("Give the date the report is due.")]
    if rule in (Rule.AFTER_TRANCHE, Rule.END_PLUS_DAYS) and cleaned.get("days") is None:
        errors["days"] = [_("Say how many days later the report is due.")]
    if errors:
        raise ValidationError(errors)
    if rule != Rule.AFTER_TRANCHE:
        cleaned["tranche_number"] = None
    if rule != Rule.FIXED_DATE:
        cleaned["fixed_date"] = None
    return cleaned


@transaction.atomic
def requirement_save(*, fund, by, requirement=None, **fields):
    """Add a report to what the fund's grantees owe, or change one. Grants approved earlier keep
    the schedule they were given."""
    require_officer(by, _("Only program officers set a fund's reporting requirements."))
    cleaned = _clean_requirement(fields)
    if requirement is None:
        if cleaned.get("order") is None:
            cleaned["order"] = (fund.report_requirements.aggregate(m=Max("order"))["m"] or 0) + 1
        return ReportRequirement.objects.create(fund=fund, **cleaned)
    for name, value in cleaned.items():
        if name == "order" and value is None:
            continue
        setattr(requirement, name, value)
    requirement.save()
    return requirement


@transaction.atomic
def requirement_remove(*, requirement, by):
    """Grants approved earlier keep their reports; new grants no longer owe this one."""
    require_officer(by, _("Only program officers set a fund's reporting requirements."))
    requirement.delete()


def latest_version(questionnaire):
    """The newest version of a questionnaire (a change to a frozen one makes a new version)."""
    while questionnaire is not None:
        newer = questionnaire.next_versions.order_by("-version").first()
        if newer is None:
            return questionnaire
        questionnaire = newer
    return None


@transaction.atomic
def requirement_questionnaire(*, requirement, by):
    """The report's own form, created (empty, for the fund) the first time it is asked for."""
    from fundops.questionnaires.services import questionnaire_create

    require_officer(by, _("Only program officers set a fund's reporting requirements."))
    requirement = ReportRequirement.objects.select_for_update().get(pk=requirement.pk)
    if requirement.questionnaire_id:
        return latest_version(requirement.questionnaire)
    questionnaire = questionnaire_create(
        fund=requirement.fund, purpose=Questionnaire.Purpose.REPORT, title=requirement.title, by=by
    )
    requirement.questionnaire = questionnaire
    requirement.save(update_fields=["questionnaire"])
    return questionnaire


def requirements_for(fund):
    """What the fund's grantees owe; a rapid-response fund that set nothing gets one short final report
    (created here, so officers see it on the requirements page and can change it)."""
    requirements = list(fund.report_requirements.select_related("questionnaire").order_by("order", "pk"))
    if not requirements and fund.is_rapid_response:
        requirements = [ReportRequirement.objects.create(fund=fund, **RAPID_DEFAULT)]
    return requirements


# Schedules ------------------------------------------------------------------------------


def _tranche_paid_on(tranche):
    """The day a paid tranche's last payment went out, or None while it is not paid in full."""
    if tranche.status != Tranche.Status.PAID:
        return None
    return tranche.payments.filter(state__in=PAID_STATES).aggregate(day=Max("paid_on"))["day"]


def _end_of_grant(grant, tranches):
    return grant.application.planned_end or (tranches[-1].due_on if tranches else grant.decided_at.date())


def due_on_for(requirement, grant, tranches):
    """The date a requirement's report falls due for this grant. "After tranche k" counts from the
    day tranche k was paid, or from its due date until it is (and is moved when it is paid)."""
    if requirement.due_rule == Rule.FIXED_DATE:
        return requirement.fixed_date
    days = datetime.timedelta(days=requirement.days or 0)
    if requirement.due_rule == Rule.AFTER_TRANCHE:
        by_number = {t.number: t for t in tranches}
        tranche = by_number.get(requirement.tranche_number) or (tranches[-1] if tranches else None)
        if tranche is None:
            return _end_of_grant(grant, tranches) + days
        return (_tranche_paid_on(tranche) or tranche.due_on) + days
    return _end_of_grant(grant, tranches) + days


def _gated_tranche(requirement, due_on, tranches):
    """The tranche held back until this report is accepted: after tranche k, tranche k+1; otherwise
    the first open tranche due on or after the report."""
    if not requirement.gates_next_tranche:
        return None
    open_tranches = [t for t in tranches if t.status == Tranche.Status.OPEN]
    if requirement.due_rule == Rule.AFTER_TRANCHE:
        return next((t for t in open_tranches if t.number == (requirement.tranche_number or 0) + 1), None)
    return next((t for t in open_tranches if t.due_on >= due_on), None)


def hold_reason_for(report):
    # Finance pages show it after "Waiting for:".
    reason = _("the grantee's “%(title)s” (due %(due)s) to be accepted by the program officer.") % {
        "title": report.title[:120], "due": report.due_on.isoformat(),
    }
    return reason[:200]


def refresh_hold(tranche, *, by=None):
    """Hold the tranche for the earliest report still gating it, or release it when none is left."""
    waiting = (
        GrantReport.objects.filter(gated_tranche=tranche).exclude(state=ReportState.ACCEPTED)
        .order_by("due_on", "pk").first()
    )
    if waiting is None:
        tranche_release(tranche=tranche, by=by)
    else:
        tranche_hold(tranche=tranche, reason=hold_reason_for(waiting), by=by)


@transaction.atomic
def grant_schedule_create(*, grant, imported=False):
    """The reports an approved grant owes, from its fund's requirements (idempotent: a grant that
    has reports keeps them). Imported history owes nothing: it happened long ago."""
    if imported or grant.reports.exists():
        return []
    tranches = list(grant.tranches.order_by("number"))
    reports = []
    for requirement in requirements_for(grant.fund):
        due_on = due_on_for(requirement, grant, tranches)
        reports.append(GrantReport.objects.create(
            grant=grant, requirement=requirement, kind=requirement.kind, title=requirement.title,
            order=requirement.order, due_on=due_on, questionnaire=latest_version(requirement.questionnaire),
            gated_tranche=_gated_tranche(requirement, due_on, tranches),
        ))
    for tranche in {report.gated_tranche for report in reports if report.gated_tranche}:
        refresh_hold(tranche)
    if reports:
        from ..tasks import schedule_reminders

        transaction.on_commit(schedule_reminders, robust=True)
    return reports


def schedule_follow_payments(grant):
    """A tranche was paid: reports due "N days after tranche k" count from the day it was paid."""
    tranches = list(grant.tranches.order_by("number"))
    reports = GrantReport.objects.filter(
        grant=grant, state__in=OPEN_STATES, due_on_moved=False, requirement__due_rule=Rule.AFTER_TRANCHE,
    ).select_related("requirement")
    for report in reports:
        due_on = due_on_for(report.requirement, grant, tranches)
        if due_on != report.due_on:
            audit_event(report, "reschedule", by=None, from_state=report.state, to_state=report.state,
                        note=f"Due {report.due_on.isoformat()} → {due_on.isoformat()} (tranche paid)")
            report.due_on = due_on
            report.save(update_fields=["due_on", "updated_at"])


@transaction.atomic
def report_due_date_change(*, report, by, due_on, note=""):
    """A program officer gives more time (or brings the date forward); the reminders follow the new date."""
    require_officer(by, _("Only program officers move a report's due date."))
    report = locked_report(report)
    require(report.state in OPEN_STATES, _("Only a report the grantee still owes can get a new due date."))
    require(isinstance(due_on, datetime.date), _("Give the new due date."), "due_on")
    before = report.due_on
    report.due_on, report.due_on_moved = due_on, True
    report.save(update_fields=["due_on", "due_on_moved", "updated_at"])
    audit_event(report, "reschedule", by=by, from_state=report.state, to_state=report.state,
                note=f"Due {before.isoformat()} → {due_on.isoformat()}" + (f": {note.strip()}" if note.strip() else ""))
    if report.gated_tranche_id:
        refresh_hold(report.gated_tranche, by=by)
    return report
