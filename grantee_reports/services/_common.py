"""Helpers the grantee-report services share: role checks, row locks, audit rows, notifications."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundops import roles
from fundops.audit import TransitionNotAllowed, transition_with_audit
from fundops.models import AuditEntry
from fundops.notifications import notify

from ..models import GrantReport

_PAST_TENSE = {
    "submit": gettext_lazy("submitted"),
    "request_changes": gettext_lazy("sent back for changes"),
    "accept": gettext_lazy("accepted"),
}


def require(condition, message, field=None):
    if not condition:
        raise ValidationError({field: [message]} if field else message)


def require_officer(by, message=None):
    if not roles.is_program_officer(by):
        raise PermissionDenied(message or _("Only program officers may do this."))


def is_own_grantee(user, grant):
    return roles.is_applicant(user) and user.organization_id == grant.organization_id


def require_grantee(by, grant):
    if not is_own_grantee(by, grant):
        raise PermissionDenied(_("Only the grantee organisation's own people may write its reports."))


def locked_report(report):
    """Lock the grant, then the report (disbursements' order: fund, grant, payment — then what hangs
    off the grant), and read the report as committed. Accepting a report may release a tranche and
    close the application while a payment of the same grant is being recorded: both wait in line."""
    from disbursements.models import Grant

    Grant.objects.select_for_update().only("pk").get(pk=report.grant_id)
    return GrantReport.objects.select_for_update(of=("self",)).select_related(
        "grant", "grant__organization", "grant__fund", "grant__application", "questionnaire"
    ).get(pk=report.pk)


def report_transition(report, transition, *, by, note="", **kwargs):
    """Run a report's transition with its audit row; a wrong state says which state it is in."""
    try:
        return transition_with_audit(obj=report, transition=transition, by=by, note=note, **kwargs)
    except TransitionNotAllowed:
        raise TransitionNotAllowed(
            _("This report is “%(state)s”: it cannot be %(done)s now.")
            % {"state": report.get_state_display(), "done": _PAST_TENSE.get(transition, transition)}
        )


def audit_event(obj, transition, *, by, note="", from_state="", to_state=""):
    """An audit row for a change that is not a state transition (a due date moved, a document added)."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, actor=by,
        transition=transition, from_state=from_state, to_state=to_state, note=note[:5000],
    )


def notify_each(recipients, **notification):
    for recipient in recipients:
        notify(recipient=recipient, **notification)


def report_context(report, **extra):
    """What every notification about a report carries (strings only)."""
    grant = report.grant
    return {
        "report": report.title, "grant": grant.reference, "fund": grant.fund.name,
        "due": report.due_on.isoformat(), **extra,
    }
