"""What waits for finance officers: grants to schedule, payments for MY approval (never my own:
four eyes), payouts to record, failed or returned payments. A fixed number of queries per to-do."""
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from fundops import roles
from fundops.money import format_money
from fundops.navigation import TodoItem, todo

from .models import PENDING_OR_PAID, Grant, Payment, PaymentState, Tranche


def grants_awaiting_schedule():
    """Active awards with a tranche that has something left to schedule."""
    committed = (
        Payment.objects.filter(tranche=OuterRef("pk"), state__in=PENDING_OR_PAID)
        .order_by().values("tranche").annotate(total=Sum("amount")).values("total")
    )
    # A held tranche waits for something else (e.g. a report): nothing for finance to do yet.
    open_tranches = Tranche.objects.filter(grant=OuterRef("pk"), status=Tranche.Status.OPEN, hold_reason="").alias(
        committed=Coalesce(Subquery(committed, output_field=DecimalField()), Value(Decimal("0")))
    ).filter(committed__lt=F("amount"))
    return Grant.objects.filter(
        Exists(open_tranches), status=Grant.Status.ACTIVE, application__state__in=["approved", "disbursing"],
    )


def _grant_item(grant):
    return TodoItem(
        label=grant.reference, url=reverse("disbursements:grant_detail", args=[grant.application_id]),
        note=f"{grant.organization} · {format_money(grant.amount, grant.currency)}",
    )


def _payment_item(payment, page="disbursements:grant_detail"):
    url = (reverse("disbursements:payment_record", args=[payment.pk]) if page == "disbursements:payment_record"
           else reverse("disbursements:grant_detail", args=[payment.grant.application_id]))
    return TodoItem(
        label=payment.grant.reference, url=url,
        note=f"{payment.grant.organization} · {format_money(payment.amount, payment.currency)}",
    )


def finance_officer_todos(user):
    workspace = reverse("disbursements:workspace")
    payments = Payment.objects.select_related("grant__organization").order_by("scheduled_at", "pk")
    return [
        todo(_("Failed or returned payments"), payments.filter(state__in=[PaymentState.FAILED, PaymentState.RETURNED]),
              workspace, _payment_item, urgent=True),
        todo(_("Payments waiting for your approval"),
              payments.filter(state=PaymentState.SCHEDULED).exclude(scheduled_by=user), workspace, _payment_item),
        todo(_("Payouts to record"), payments.filter(state=PaymentState.APPROVED), workspace,
              lambda payment: _payment_item(payment, "disbursements:payment_record")),
        todo(_("Grants awaiting scheduling"),
              grants_awaiting_schedule().select_related("organization").order_by("decided_at", "pk"),
              workspace, _grant_item),
    ]


TODOS = [(roles.FINANCE_OFFICER, finance_officer_todos)]
