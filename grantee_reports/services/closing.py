"""Closing the cycle: a grant's application moves to `closed` once its final report is accepted and
its money is settled — paid equals awarded, or the unspent balance came back and was recorded."""
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Application
from disbursements.models import Grant, PaymentState
from disbursements.services import grant_paid, grant_release_unpaid, grant_returned
from fundops.audit import transition_with_audit
from fundops.money import format_money, quantize

from ..models import KINDS_WITH_SPENDING, GrantReport, ReportKind, ReportState


def grant_spent(grant):
    """Spent to date as the grantee last reported it (the latest accepted financial or final report),
    in the grant's currency; None when no accepted report has accounted for money yet."""
    report = (
        GrantReport.objects.filter(grant=grant, kind__in=KINDS_WITH_SPENDING, state=ReportState.ACCEPTED)
        .order_by("-accepted_at", "-pk").first()
    )
    if report is None:
        return None
    total = report.budget_lines.aggregate(total=Sum("amount", default=Decimal("0")))["total"]
    return quantize(Decimal(total), grant.currency)


def final_report_accepted(grant):
    finals = GrantReport.objects.filter(grant=grant, kind=ReportKind.FINAL)
    return finals.exists() and not finals.exclude(state=ReportState.ACCEPTED).exists()


def money_settled(grant):
    """(settled, why): paid equals awarded, or a recorded balance return covers what was paid and not
    spent (paid - returned <= spent as reported)."""
    paid, returned = grant_paid(grant), grant_returned(grant)
    if paid == grant.amount:
        return True, _("paid in full: %(paid)s") % {"paid": format_money(paid, grant.currency)}
    if grant.payments.filter(state__in=[PaymentState.SCHEDULED, PaymentState.APPROVED]).exists():
        return False, ""  # a payment still on its way: nothing is settled until it lands or is cancelled
    spent = grant_spent(grant)
    if returned > 0 and spent is not None and paid - returned <= spent:
        return True, _("%(paid)s paid, %(spent)s spent, %(returned)s unspent returned") % {
            "paid": format_money(paid, grant.currency), "spent": format_money(spent, grant.currency),
            "returned": format_money(returned, grant.currency)}
    return False, ""


@transaction.atomic
def grant_close_if_complete(*, grant, by=None):
    """Close the grant's application when both hold: the final report is accepted, and the money is
    settled. Called after a report is accepted, a payment is paid and a balance comes back; returns
    True when it closed the application now. `by` is named in the audit row (None: the system)."""
    application = Application.objects.select_for_update().get(pk=grant.application_id)
    grant = Grant.objects.get(pk=grant.pk)
    if grant.status != Grant.Status.ACTIVE or not can_proceed(application.close):
        return False
    if not final_report_accepted(grant):
        return False
    settled, why = money_settled(grant)
    if not settled:
        return False
    if grant_paid(grant) < grant.amount:
        grant_release_unpaid(grant=grant)  # less paid than awarded: the rest goes back to the fund
    # The permission is this function's own rule (both conditions), not the role of whoever
    # triggered it: a finance officer recording the last payment closes the grant too.
    entry = transition_with_audit(
        obj=application, transition="close", by=None,
        note=_("Final report accepted and %(why)s.") % {"why": why},
    )
    if by is not None:
        entry.actor = by
        entry.save(update_fields=["actor"])
    return True
