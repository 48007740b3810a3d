"""Payment batches: approved payments in one currency handed to the bank together.

draft -> exported -> sent -> paid. The file for the bank is ISO 20022 pain.001.001.03: written by
sepaxml for a SEPA batch (EUR, every account an IBAN in the SEPA zone), by our own writer for the
rest (other currencies, accounts without IBAN); mobile-money payments go out as CSV only. "Paid
out" records each payment of the batch paid through payment_record, its bank reference the
end-to-end id the bank carries to the statement, so reconciliation matches it and a second
"paid out" records nothing twice."""
import csv
import io
import secrets
import unicodedata
import xml.etree.ElementTree as ET

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from schwifty.exceptions import SchwiftyException
from schwifty.registry import get_iban_spec
from sepaxml import SepaTransfer

from fundops.money import minor_units, quantize
from fundops.spreadsheets import safe_cell

from ..models import Payment, PaymentBatch, PaymentState, PayoutAccount
from ._common import _audit_event, _require, _require_finance
from .payments import payment_record

State = PaymentBatch.State
PAIN_001 = "pain.001.001.03"
PAIN_NS = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_001}"
CSV_COLUMNS = ["end_to_end_id", "grant", "payee", "kind", "iban", "account_number", "bic", "bank_name", "branch",
               "country", "provider", "phone", "amount", "currency", "description"]


def _end_to_end_id(payment):
    # 35 characters at most (Max35Text); unique per payment, never reused.
    return f"FO{payment.pk:010d}{secrets.token_hex(3).upper()}"


def _in_sepa_zone(country):
    try:
        return get_iban_spec(country).in_sepa_zone
    except (SchwiftyException, KeyError):
        return False


def _ascii(text, limit):
    """Bank files accept the SWIFT character set: transliterate, then cut to the field's length."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.split())[:limit] or "-"


@transaction.atomic
def payment_batch_create(*, payments, by, debtor_account, execution_date=None):
    """Group approved payments (one currency, none already in a batch) into a draft batch."""
    _require_finance(by)
    ids = sorted({payment.pk for payment in payments})
    _require(ids, _("Choose at least one approved payment."), "payments")
    rows = list(Payment.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("grant", "payout_account"))
    problems = []
    for payment in rows:
        if payment.state != PaymentState.APPROVED:
            problems.append(_("%(grant)s: the payment is %(state)s, not approved.") % {
                "grant": payment.grant.reference, "state": payment.get_state_display().lower()})
        elif payment.batch_id is not None:
            problems.append(_("%(grant)s: the payment is already in a batch.") % {"grant": payment.grant.reference})
    currencies = {payment.currency for payment in rows}
    if len(currencies) > 1:
        problems.append(_("A batch is in one currency; these payments are in %(currencies)s.") % {
            "currencies": ", ".join(sorted(currencies))})
    elif currencies and debtor_account.currency not in currencies:
        problems.append(_("The account %(account)s pays in %(currency)s.") % {
            "account": debtor_account, "currency": debtor_account.currency})
    if problems:
        raise ValidationError({"payments": problems})
    batch = PaymentBatch.objects.create(
        currency=currencies.pop(), debtor_account=debtor_account, created_by=by,
        execution_date=execution_date or timezone.localdate(),
        message_id=f"FO-{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(4).upper()}",
    )
    for payment in rows:
        Payment.objects.filter(pk=payment.pk).update(batch=batch, end_to_end_id=payment.end_to_end_id or _end_to_end_id(payment))
    _audit_event(batch, "create", by=by, to_state=State.DRAFT,
                 note=ngettext("%(count)s payment", "%(count)s payments", len(rows)) % {"count": len(rows)})
    return batch


@transaction.atomic
def payment_batch_remove(*, batch, payment, by):
    """Take a payment out of a draft batch (e.g. to pay it another way)."""
    _require_finance(by)
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    _require(batch.state == State.DRAFT, _("Only a draft batch can change."))
    Payment.objects.filter(pk=payment.pk, batch=batch).update(batch=None)
    _audit_event(batch, "remove", by=by, from_state=batch.state, to_state=batch.state, note=str(payment.pk))
    return batch


def _batch_payments(batch):
    return list(batch.payments.select_related("grant", "grant__organization", "grant__fund", "tranche", "payout_account").order_by("pk"))


def _sepa_fits(batch, payments):
    debtor = batch.debtor_account
    return (
        batch.currency == "EUR" and debtor.iban and _in_sepa_zone(debtor.iban[:2])
        and all(p.payout_account and p.payout_account.iban and _in_sepa_zone(p.payout_account.iban[:2]) for p in payments)
    )


def _description(payment):
    return _ascii(f"{payment.grant.reference} tranche {payment.tranche.number}", 140)


def _amount_text(amount, currency):
    return f"{quantize(amount, currency):.{minor_units(currency)}f}"


def _sepa_xml(batch, payments):
    debtor = batch.debtor_account
    transfer = SepaTransfer({
        "name": _ascii(debtor.holder_name, 70), "IBAN": debtor.iban, "BIC": debtor.bic, "batch": True,
        "currency": "EUR",
    }, schema=PAIN_001)
    for payment in payments:
        account = payment.payout_account
        details = {
            "name": _ascii(account.holder_name, 70), "IBAN": account.iban,
            "amount": int(quantize(payment.amount, "EUR") * 100), "execution_date": batch.execution_date,
            "description": _description(payment), "endtoend_id": payment.end_to_end_id,
        }
        if account.bic:
            details["BIC"] = account.bic
        transfer.add_payment(details)
    xml = transfer.export(validate=True)
    # Our batch's id, not the library's random one: the bank quotes it back.
    return xml.replace(f"<MsgId>{transfer.msg_id}</MsgId>".encode(), f"<MsgId>{batch.message_id}</MsgId>".encode())


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _account_id(parent, *, iban, other):
    identifier = _sub(parent, "Id")
    if iban:
        _sub(identifier, "IBAN", iban)
    else:
        _sub(_sub(identifier, "Othr"), "Id", _ascii(other, 34))


def _pain001_xml(batch, payments):
    """pain.001.001.03 for any currency and account kind but mobile money: an IBAN where the
    account has one, else its number (Othr/Id) with the bank's BIC, name and country."""
    currency, debtor = batch.currency, batch.debtor_account
    total = sum((quantize(p.amount, currency) for p in payments), quantize(0, currency))
    ET.register_namespace("", PAIN_NS)
    document = ET.Element("Document", {"xmlns": PAIN_NS})
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "NbOfTxs", str(len(payments)))
    _sub(header, "CtrlSum", _amount_text(total, currency))
    _sub(_sub(header, "InitgPty"), "Nm", _ascii(debtor.holder_name, 140))
    info = _sub(initiation, "PmtInf")
    _sub(info, "PmtInfId", batch.message_id)
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", str(len(payments)))
    _sub(info, "CtrlSum", _amount_text(total, currency))
    _sub(info, "ReqdExctnDt", batch.execution_date.isoformat())
    debtor_party = _sub(info, "Dbtr")
    _sub(debtor_party, "Nm", _ascii(debtor.holder_name, 140))
    _sub(_sub(debtor_party, "PstlAdr"), "Ctry", debtor.country.code)
    debtor_account = _sub(info, "DbtrAcct")
    _account_id(debtor_account, iban=debtor.iban, other=debtor.account_number)
    _sub(debtor_account, "Ccy", debtor.currency)
    _sub(_sub(_sub(info, "DbtrAgt"), "FinInstnId"), "BIC", debtor.bic)
    _sub(info, "ChrgBr", "SHAR")  # outside SEPA each side pays its own bank's fees
    for payment in payments:
        account = payment.payout_account
        transfer = _sub(info, "CdtTrfTxInf")
        _sub(_sub(transfer, "PmtId"), "EndToEndId", payment.end_to_end_id)
        _sub(_sub(transfer, "Amt"), "InstdAmt", _amount_text(payment.amount, currency), Ccy=currency)
        agent = _sub(_sub(transfer, "CdtrAgt"), "FinInstnId")
        if account.bic:
            _sub(agent, "BIC", account.bic)
        if account.bank_name:
            _sub(agent, "Nm", _ascii(account.bank_name, 140))
        _sub(_sub(agent, "PstlAdr"), "Ctry", account.country.code)
        creditor = _sub(transfer, "Cdtr")
        _sub(creditor, "Nm", _ascii(account.holder_name, 140))
        _sub(_sub(creditor, "PstlAdr"), "Ctry", account.country.code)
        _account_id(_sub(transfer, "CdtrAcct"), iban=account.iban, other=account.account_number)
        _sub(_sub(transfer, "RmtInf"), "Ustrd", _description(payment))
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(document, encoding="utf-8")


def _csv(batch, payments):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for payment in payments:
        account = payment.payout_account
        writer.writerow([safe_cell(value) for value in [
            payment.end_to_end_id, payment.grant.reference, account.holder_name, account.kind, account.iban,
            account.account_number, account.bic, account.bank_name, account.branch, account.country.code,
            account.provider, account.phone, _amount_text(payment.amount, batch.currency), batch.currency,
            _description(payment),
        ]])
    return out.getvalue().encode("utf-8")


def batch_file_kind(batch, payments=None):
    """'sepa' or 'pain001' for the XML the batch would get, or None when only CSV fits."""
    payments = payments if payments is not None else _batch_payments(batch)
    if any(p.payout_account and p.payout_account.kind == PayoutAccount.Kind.MOBILE_MONEY for p in payments):
        return None
    return "sepa" if _sepa_fits(batch, payments) else "pain001"


@transaction.atomic
def payment_batch_export(*, batch, by, file_format):
    """The file for the bank: file_format 'xml' (pain.001) or 'csv'. A draft batch becomes
    exported; exporting again gives the same payments (a lost file can be downloaded again).
    Returns (filename, content_type, bytes)."""
    _require_finance(by)
    batch = PaymentBatch.objects.select_for_update().select_related("debtor_account").get(pk=batch.pk)
    payments = _batch_payments(batch)
    _require(payments, _("The batch has no payments."))
    unaccounted = [p.grant.reference for p in payments if p.payout_account is None]
    _require(not unaccounted, _("No payout account for %(grants)s.") % {"grants": ", ".join(unaccounted)})
    if file_format == "xml":
        mobile = [p.grant.reference for p in payments if p.payout_account.kind == PayoutAccount.Kind.MOBILE_MONEY]
        _require(not mobile, _(
            "Mobile-money payments (%(grants)s) cannot go in a pain.001 bank file: export the batch as CSV for "
            "the mobile-money provider, or take them out of the batch.") % {"grants": ", ".join(mobile)})
        no_bic = [p.grant.reference for p in payments if not p.payout_account.iban and not p.payout_account.bic]
        _require(not no_bic, _("The accounts of %(grants)s have neither IBAN nor BIC.") % {"grants": ", ".join(no_bic)})
        content = _sepa_xml(batch, payments) if _sepa_fits(batch, payments) else _pain001_xml(batch, payments)
        filename, content_type = f"{batch.message_id}.xml", "application/xml"
    elif file_format == "csv":
        content = _csv(batch, payments)
        filename, content_type = f"{batch.message_id}.csv", "text/csv"
    else:
        raise ValidationError(_("Choose pain.001 XML or CSV."))
    if batch.state == State.DRAFT:
        batch.state, batch.exported_at = State.EXPORTED, timezone.now()
        batch.save(update_fields=["state", "exported_at"])
        _audit_event(batch, "export", by=by, from_state=State.DRAFT, to_state=State.EXPORTED, note=filename)
    return filename, content_type, content


@transaction.atomic
def payment_batch_mark_sent(*, batch, by):
    """The file went to the bank."""
    _require_finance(by)
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state == State.SENT:
        return batch
    _require(batch.state == State.EXPORTED, _("Export the batch before marking it sent."))
    batch.state, batch.sent_at = State.SENT, timezone.now()
    batch.save(update_fields=["state", "sent_at"])
    _audit_event(batch, "send", by=by, from_state=State.EXPORTED, to_state=State.SENT)
    return batch


@transaction.atomic
def payment_batch_paid(*, batch, by, paid_on, fx_rate=None):
    """The bank paid the batch out: every payment still approved is recorded paid (payment_record,
    its bank reference the end-to-end id). Recording again changes nothing. `fx_rate` is the rate
    the bank used (fund currency per unit); empty means each award's own rate."""
    _require_finance(by)
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state == State.PAID:
        return batch, []
    _require(batch.state == State.SENT, _("Mark the batch sent before recording it paid out."))
    results = []
    for payment in _batch_payments(batch):
        if payment.state == PaymentState.APPROVED or payment.reference == payment.end_to_end_id:
            rate = fx_rate if fx_rate not in (None, "") else (
                None if payment.currency == payment.grant.fund.base_currency else payment.grant.fx_rate)
            results.append(payment_record(payment=payment, by=by, paid_on=paid_on, reference=payment.end_to_end_id,
                                          fx_rate=rate))
    batch.state, batch.paid_at = State.PAID, timezone.now()
    batch.save(update_fields=["state", "paid_at"])
    recorded = sum(1 for result in results if not result.already_recorded)
    _audit_event(batch, "pay", by=by, from_state=State.SENT, to_state=State.PAID,
                 note=ngettext("%(count)s payment recorded paid", "%(count)s payments recorded paid", recorded)
                 % {"count": recorded})
    return batch, results


def batch_total(batch):
    return sum((p.amount for p in batch.payments.all()), quantize(0, batch.currency))


