"""Builders the disbursement tests share: a funded fund, an application ready for decision,
an approved award, and a payment taken to any state through the services."""
import datetime
from decimal import Decimal

from django.utils import timezone

from disbursements import services
from tests import factories


def funded(received=Decimal("100000"), **fund_kwargs):
    """A fund holding `received` (base currency) in received contributions."""
    fund = factories.FundFactory(**fund_kwargs)
    if received:
        factories.ContributionFactory(fund=fund, amount=Decimal(received))
    return fund


def ready_application(fund, *, requested=Decimal("15000"), currency="USD", reviews=True, **kwargs):
    """An application in review with the fund's required reviews in (ready for decision)."""
    application = factories.ApplicationFactory(
        fund=fund, state="in_review", requested_amount=Decimal(requested), requested_currency=currency,
        submitted_at=timezone.now() - datetime.timedelta(days=3), **kwargs,
    )
    if reviews:
        factories.submit_reviews_for(application, fund.reviews_required)
    return application


def approve(application, officer, amount="10000", currency="USD", fx_rate=None, plan=None, **kwargs):
    """The award, its grantee given a verified payout account (as a real grantee has before money moves)."""
    verified_account(application.organization)
    return services.grant_approve(
        application=application, by=officer, amount=Decimal(amount), currency=currency, fx_rate=fx_rate,
        tranche_plan=plan, **kwargs,
    )


def verified_account(organization, **kwargs):
    """The organisation's verified payout account (made once): payments to it can be approved."""
    from disbursements.models import PayoutAccount

    existing = PayoutAccount.objects.filter(organization=organization, verification="verified").first()
    return existing or factories.PayoutAccountFactory(organization=organization, **kwargs)


def paid_payment(grant, scheduler, approver, *, amount=None, reference=None, tranche=None, fx_rate=None):
    """Schedule (scheduler), approve and record (approver) a payment of the first open tranche."""
    verified_account(grant.organization)
    tranche = tranche or grant.tranches.filter(status="open").order_by("number").first()
    payment = services.payment_schedule(tranche=tranche, by=scheduler, amount=amount)
    services.payment_approve(payment=payment, by=approver)
    result = services.payment_record(
        payment=payment, by=approver, paid_on=timezone.localdate(),
        reference=reference or f"TRF-{payment.pk:06d}", fx_rate=fx_rate,
    )
    return result.payment
