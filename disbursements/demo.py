"""Demo part 4: awards, tranches and payments, all made through disbursements/services.py.

- COVID-19 fund: its 2020 first round (three grants imported as history, paid and reconciled),
  and the applications the community panel voted to fund now approved by `officer`: some paid in
  full, some part-paid, one payment returned by the bank, one award cancelled, and payments
  waiting in the finance workspace (scheduled by `finance`, for `finance2` to approve and record).
- Legal Empowerment Fund: five awards in two tranches, in USD or EUR.
- Payout accounts: every member organisation has a verified one (set up by `admin`, verified by
  `finance`): a bank account by IBAN where the country uses IBANs, by account number and SWIFT/BIC
  elsewhere, mobile money for some grassroots groups; one changed account waits for verification.
- A batch of the approved payments, exported for the bank; the fund's accounts and two banks'
  statement formats.
Rates are stored with every award and payment. Idempotent: a fund with grants is left as it is.
"""
import datetime
import random
from decimal import Decimal

import phonenumbers
from schwifty import IBAN

from django.utils import timezone

from applications import services as application_services
from applications.models import Application, State
from fundops.demo import COVID_CALL_SLUG, COVID_SLUG, LEF_SLUG
from fundops.models import Call, Fund, Organization, User
from reviews.selectors import application_ready_for_decision, panel_result

from . import services
from .models import BankCsvMapping, FundBankAccount, Grant, Payment, PaymentState, PayoutAccount

EUR_RATE_AT_DECISION = Decimal("1.0412")  # USD per EUR
EUR_RATE_AT_PAYMENT = Decimal("1.0387")

# The 2020 first round, imported as history: (organisation name, title, amount, currency, rate, submitted, paid).
COVID_2020 = [
    ("Bo District Paralegal Service", "Paralegals keep courts and police stations honest during the lockdown",
     Decimal("10000"), "USD", Decimal("1"), datetime.date(2020, 5, 4), datetime.date(2020, 5, 11)),
    ("Association des Parajuristes du Nord-Ouest", "Emergency legal help for people detained under curfew rules",
     Decimal("8000"), "EUR", Decimal("1.0921"), datetime.date(2020, 5, 6), datetime.date(2020, 5, 14)),
    ("Justice Access Initiative Nigeria", "Hotline for tenants facing eviction during COVID-19",
     Decimal("15000"), "USD", Decimal("1"), datetime.date(2020, 6, 2), datetime.date(2020, 6, 9)),
]


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _pay(grant, tranche, finance, finance2, reference, *, amount=None, fx_rate=None, paid_on=None):
    payment = services.payment_schedule(tranche=tranche, by=finance, amount=amount)
    services.payment_approve(payment=payment, by=finance2)
    return services.payment_record(
        payment=payment, by=finance2, paid_on=paid_on or timezone.localdate(), reference=reference, fx_rate=fx_rate
    ).payment


def _covid_history(fund, officer, finance2, stdout):
    call = Call.objects.filter(fund=fund, slug=COVID_CALL_SLUG).first()
    made = 0
    for name, title, amount, currency, rate, submitted, paid_on in COVID_2020:
        organization = Organization.objects.filter(name=name).first()
        if organization is None or Application.objects.filter(fund=fund, title=title).exists():
            continue
        application = application_services.application_create_draft(
            organization=organization, fund=fund, call=call, by=officer, title=title,
            summary="Rapid grant from the first COVID-19 round (imported from the 2020 spreadsheet).",
            themes=["COVID-19 response", "Access to justice"], countries=[organization.country.code],
            requested_amount=Decimal(amount * rate).quantize(Decimal("1")), requested_currency=fund.base_currency,
            planned_start=submitted + datetime.timedelta(days=7), planned_end=submitted + datetime.timedelta(days=190),
        )
        application_services.application_submit(application=application, by=officer, imported=True, at=_at(submitted, 9))
        application_services.application_screen_in(application=application, by=officer, imported=True, at=_at(submitted, 15))
        decided = submitted + datetime.timedelta(days=2)
        grant = services.grant_approve(
            application=application, by=officer, amount=amount, currency=currency, fx_rate=rate, fx_date=decided,
            tranche_plan={"mode": "single", "due_on": decided}, imported=True, decided_at=_at(decided),
        )
        services.payment_import(
            grant=grant, reference=f"GJN-2020-TRF-{grant.pk:04d}", amount=amount, currency=currency, fx_rate=rate,
            paid_on=paid_on, status="reconciled", by=finance2,
        )
        made += 1
    return made


def _covid_live(fund, officer, finance, finance2):
    ready = [
        a for a in Application.objects.filter(fund=fund, state=State.IN_REVIEW).order_by("submitted_at", "pk")
        if application_ready_for_decision(application=a) and panel_result(application=a)["outcome"] in (None, "fund")
    ]
    grants = []
    for index, application in enumerate(ready[:10]):
        amount = min(application.requested_amount, fund.max_grant) - Decimal(500 * (index % 3))
        grants.append(services.grant_approve(
            application=application, by=officer, amount=amount, currency="USD",
            conditions="A short story of change within three months of the payment.",
        ))
    for index, grant in enumerate(grants):
        tranche = grant.tranches.get()
        reference = f"FT{timezone.localdate():%y%m%d}-{grant.pk:04d}"
        if index in (0, 1, 2):  # paid in full; the first two are on a reconciled statement already
            payment = _pay(grant, tranche, finance, finance2, reference)
            if index < 2:
                services.payment_reconcile(payment=payment, by=finance)
        elif index == 3:  # part-paid: the grantee asked for half now, half once its account is confirmed
            _pay(grant, tranche, finance, finance2, reference, amount=(grant.amount / 2).quantize(Decimal("0.01")))
        elif index == 4:  # the bank sent the money back: the tranche is open again
            payment = _pay(grant, tranche, finance, finance2, reference)
            services.payment_return(payment=payment, by=finance, reason="Beneficiary account closed; new details requested.")
        elif index == 5:
            services.grant_cancel(grant=grant, by=officer, reason="The organisation merged with another member; it will re-apply jointly.")
        elif index == 6:  # approved, waiting to be recorded
            payment = services.payment_schedule(tranche=tranche, by=finance)
            services.payment_approve(payment=payment, by=finance2)
        elif index == 7:  # scheduled by finance: waits in finance2's workspace
            services.payment_schedule(tranche=tranche, by=finance)
        elif index == 8:  # scheduled by finance2: waits in finance's workspace
            services.payment_schedule(tranche=tranche, by=finance2)
        # index 9: approved just now, its tranche due in the workspace
    return grants


def _lef(fund, officer, finance, finance2):
    ready = [
        a for a in Application.objects.filter(fund=fund, state=State.IN_REVIEW).order_by("submitted_at", "pk")
        if application_ready_for_decision(application=a)
    ][:5]
    today = timezone.localdate()
    grants = []
    for index, application in enumerate(ready):
        in_euro = index % 2 == 1
        requested = application.requested_amount
        if in_euro:
            amount = (requested * Decimal("0.9") / EUR_RATE_AT_DECISION / 1000).quantize(Decimal("1")) * 1000
        else:
            amount = (requested * Decimal("0.9") / 1000).quantize(Decimal("1")) * 1000
        plan = {"mode": "percent", "parts": [(Decimal("60"), today), (Decimal("40"), today + datetime.timedelta(days=180))]}
        grant = services.grant_approve(
            application=application, by=officer, amount=amount, currency="EUR" if in_euro else "USD",
            fx_rate=EUR_RATE_AT_DECISION if in_euro else None, tranche_plan=plan,
            conditions="Narrative and financial report before the second tranche.",
        )
        grants.append(grant)
        first, second = grant.tranches.order_by("number")
        rate = EUR_RATE_AT_PAYMENT if in_euro else None
        if index < 3:
            _pay(grant, first, finance, finance2, f"LEF{today:%y%m}-{grant.pk:04d}-1", fx_rate=rate)
        if index == 0:
            second.due_on = today  # reported early: the second tranche is due now
            second.save(update_fields=["due_on"])
        if index == 3:
            payment = services.payment_schedule(tranche=first, by=finance)
            services.payment_approve(payment=payment, by=finance2)
    return grants


# Countries whose grassroots groups are often paid by mobile money, and a provider there.
MOBILE_MONEY = {"KE": "M-Pesa", "UG": "MTN Mobile Money", "TZ": "M-Pesa", "GH": "MTN MoMo", "SN": "Orange Money",
                "RW": "MTN MoMo", "ZM": "Airtel Money", "MW": "Airtel Money", "CM": "Orange Money"}
LOCAL_CURRENCY = {"KE": "KES", "UG": "UGX", "TZ": "TZS", "GH": "GHS", "SN": "XOF", "RW": "RWF", "ZM": "ZMW",
                  "MW": "MWK", "CM": "XAF"}


def _account_details(organization, index, rng):
    """A plausible payout account for a demo organisation (valid IBAN, BIC, E.164 number)."""
    country = organization.country.code
    holder = organization.name[:140]
    if country in MOBILE_MONEY and index % 3 == 2:
        number = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        return dict(kind="mobile_money", holder_name=holder, currency=LOCAL_CURRENCY[country], country=country,
                    provider=MOBILE_MONEY[country],
                    phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if services.iban_applies(country):
        return dict(kind="bank", holder_name=holder, currency="EUR" if country in ("FR", "DE", "NL", "BE", "ES", "PT", "IT")
                    else "USD", country=country, iban=IBAN.random(country_code=country, random=rng).compact)
    return dict(kind="bank", holder_name=holder, currency="USD", country=country,
                account_number=f"{rng.randrange(10**9, 10**10)}", bank_name=f"{organization.city or 'National'} Commercial Bank",
                bic=f"GJNB{country}{'2X' if country != 'XK' else '22'}", branch=organization.city or "")


def _payout_accounts(admin, finance, stdout):
    """Every member organisation paid into a verified account (admin sets them up, finance verifies)."""
    rng = random.Random(20201)
    made = 0
    for index, organization in enumerate(Organization.objects.order_by("pk")):
        if organization.payout_accounts.exists():
            continue
        try:
            account = services.payout_account_create(
                organization=organization, by=admin, note="From the member's signed bank letter",
                **_account_details(organization, index, rng))
        except Exception as error:  # one odd demo country must not stop the demo
            stdout.write(f"  no demo payout account for {organization}: {error}")
            continue
        services.payout_account_verify(account=account, by=finance)
        made += 1
    return made


def _bank_settings():
    FundBankAccount.objects.get_or_create(name="Operating account USD", defaults=dict(
        holder_name="Grassroots Justice Network", currency="USD", iban="NL91ABNA0417164300", bic="ABNANL2A", country="NL"))
    FundBankAccount.objects.get_or_create(name="Operating account EUR", defaults=dict(
        holder_name="Grassroots Justice Network", currency="EUR", iban="NL02ABNA0123456789", bic="ABNANL2A", country="NL"))
    BankCsvMapping.objects.get_or_create(bank_name="ABN AMRO (CSV export)", defaults=dict(
        delimiter=";", date_format="%d-%m-%Y", decimal_comma=True, thousands_separator=".",
        date_column="Transactiedatum", amount_column="Bedrag", reference_column="Omschrijving",
        currency_column="Muntsoort", fee_tolerance_amount=Decimal("15")))
    BankCsvMapping.objects.get_or_create(bank_name="Kenya Commercial Bank", defaults=dict(
        delimiter=",", date_format="%d/%m/%Y", date_column="Value Date", amount_column="Amount",
        reference_column="Narrative", currency_column="", default_currency="USD", fee_tolerance_percent=Decimal("1")))


def _batch_and_pending_change(admin, finance, finance2):
    """The approved USD payments go into a batch, exported for the bank; one grantee's account is
    changed (by admin, on the grantee's request) and waits for a finance officer's verification."""
    approved = list(Payment.objects.filter(state=PaymentState.APPROVED, currency="USD", batch__isnull=True,
                                           payout_account__kind=PayoutAccount.Kind.BANK))
    if approved:
        batch = services.payment_batch_create(
            payments=approved, by=finance, debtor_account=FundBankAccount.objects.get(name="Operating account USD"))
        services.payment_batch_export(batch=batch, by=finance, file_format="xml")
    untouched = (PayoutAccount.objects.filter(kind=PayoutAccount.Kind.BANK, iban="", payments__isnull=True)
                 .order_by("pk").first())
    if untouched is not None:
        services.payout_account_update(account=untouched, by=admin, branch="Main branch",
                                       account_number=untouched.account_number[:-2] + "77",
                                       note="The grantee wrote that its account moved branch")


def load(stdout):
    officer = User.objects.get(username="officer")
    finance = User.objects.get(username="finance")
    finance2 = User.objects.get(username="finance2")
    covid = Fund.objects.get(slug=COVID_SLUG)
    lef = Fund.objects.get(slug=LEF_SLUG)
    if Grant.objects.filter(fund__in=[covid, lef]).exists():
        stdout.write("Demo awards: already loaded.")
        return
    admin = User.objects.get(username="admin")
    _bank_settings()
    accounts = _payout_accounts(admin, finance, stdout)
    history = _covid_history(covid, officer, finance2, stdout)
    live = _covid_live(covid, officer, finance, finance2)
    lef_grants = _lef(lef, officer, finance, finance2)
    _batch_and_pending_change(admin, finance, finance2)
    stdout.write(
        f"Demo awards: COVID-19 fund {history} grants from 2020 and {len(live)} new ones; "
        f"Legal Empowerment Fund {len(lef_grants)} in two tranches. "
        f"{accounts} verified payout accounts, one change waiting for verification, one batch exported. "
        "Finance workspace: /finance/ (finance and finance2 each have a payment to approve)."
    )
