"""Bank statements reconciled against the paid payments they show: matched by reference and
amount, within the bank's fee tolerance (the difference recorded as a fee); the rest kept for a
person to link by hand or resolve. The file is read whole first (statement_formats): one bad line
refuses it all, nothing stored. The same statement read twice (same file, or same statement id of
the same account) changes nothing."""
import hashlib
from decimal import Decimal
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.models import AuditEntry
from fundops.money import format_money

from ..models import BankStatement, Payment, PaymentState, StatementLine
from ._common import ZERO, _audit_event, _require, _require_finance
from .payments import payment_reconcile
from .statement_formats import statement_format_of, statement_parse


def fee_tolerance(mapping, amount):
    """How much a bank may keep from a transfer of `amount` as its fee: the mapping's fixed
    amount or its percentage of the amount, whichever is larger."""
    if mapping is None:
        return ZERO
    return max(mapping.fee_tolerance_amount or ZERO, amount * (mapping.fee_tolerance_percent or ZERO) / Decimal("100"))


def _match(line_amount, currency, payment, mapping):
    """(status, reason, fee) of a statement line against the payment holding its reference."""
    if payment is None:
        return StatementLine.Status.UNMATCHED, "No payment has this reference.", ZERO
    short = payment.amount - line_amount
    if payment.currency != currency or short < 0 or short > fee_tolerance(mapping, payment.amount):
        return (StatementLine.Status.UNMATCHED,
                f"The payment with this reference is {format_money(payment.amount, payment.currency)}.", ZERO)
    if payment.state == PaymentState.RECONCILED:
        return StatementLine.Status.MATCHED, "Already reconciled.", short
    if payment.state != PaymentState.PAID:
        return (StatementLine.Status.UNMATCHED,
                f"The payment with this reference is {payment.get_state_display().lower()}.", ZERO)
    reason = _("Bank fee %(fee)s deducted.") % {"fee": format_money(short, currency)} if short else ""
    return StatementLine.Status.MATCHED, reason, short


def _same_statement(file_hash, parsed):
    earlier = BankStatement.objects.filter(file_hash=file_hash).first()
    if earlier is None and parsed.statement_id:
        earlier = BankStatement.objects.filter(account=parsed.account, statement_id=parsed.statement_id).first()
    return earlier


@transaction.atomic
def bank_statement_reconcile(*, file, by, format=None, mapping=None):
    """Read a bank statement (CAMT.053, MT940, a bank's CSV through its mapping, or fundops' own
    CSV: date, amount, currency, reference) and reconcile the paid payments it shows.

    Nothing changes unless the whole file reads. Lines matching a paid payment by reference and
    amount (short by no more than the bank's fee tolerance: the difference is the fee) reconcile
    it; the others are kept for a person to link or resolve. The same statement again returns the
    statement already read, with `already_imported` set, and changes nothing. Payments are
    fetched and reconciled in bulk, so a 10,000-line statement takes seconds, not minutes."""
    _require_finance(by)
    raw = file.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    filename = getattr(file, "name", "") or "statement"
    format = format or statement_format_of(raw, filename)
    parsed = statement_parse(raw=raw, format=format, mapping=mapping)
    file_hash = hashlib.sha256(raw).hexdigest()
    earlier = _same_statement(file_hash, parsed)
    if earlier is not None:
        earlier.already_imported = True
        return earlier
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                filename=filename[:255], uploaded_by=by, format=format, mapping=mapping, file_hash=file_hash,
                statement_id=parsed.statement_id, account=parsed.account,
            )
    except IntegrityError:  # the same file, read by someone else a moment ago
        earlier = _same_statement(file_hash, parsed)
        earlier.already_imported = True
        return earlier
    statement.already_imported = False

    references = sorted({line[4] for line in parsed.lines})
    chunk_size = min(connection.features.max_query_params or 2000, 2000)
    payments = {}
    for start in range(0, len(references), chunk_size):
        # Plain rows, not model instances: reading 10,000 of them is most of the work otherwise.
        rows = (Payment.objects.select_for_update().filter(reference__in=references[start:start + chunk_size])
                .values_list("pk", "reference", "amount", "currency", "state"))
        payments.update({row[1]: _Paid(row[0], row[2], row[3], row[4]) for row in rows})
    now = timezone.now()
    lines, to_reconcile = [], {}
    for number, date, amount, currency, reference in parsed.lines:
        payment = payments.get(reference)
        status, reason, fee = _match(amount, currency, payment, mapping)
        if status == StatementLine.Status.MATCHED and payment.state == PaymentState.PAID:
            if payment.pk in to_reconcile:
                reason = "Already reconciled."  # the same payment twice in one statement
            else:
                to_reconcile[payment.pk] = number
        lines.append((statement.pk, number, date, amount, currency, reference, status,
                      payment.pk if status == StatementLine.Status.MATCHED else None, reason, fee))
    _insert(StatementLine, ["statement", "line_number", "date", "amount", "currency", "reference", "status", "payment",
                            "reason", "fee"], lines)
    ids = sorted(to_reconcile)
    for start in range(0, len(ids), chunk_size):
        Payment.objects.filter(pk__in=ids[start:start + chunk_size], state=PaymentState.PAID).update(
            state=PaymentState.RECONCILED, reconciled_at=now)
    payment_type = ContentType.objects.get_for_model(Payment).pk
    _insert(AuditEntry, ["content_type", "object_id", "actor", "at", "transition", "from_state", "to_state", "note"], [
        (payment_type, pk, by.pk, now, "reconcile", PaymentState.PAID, PaymentState.RECONCILED,
         f"Bank statement line {number}")
        for pk, number in to_reconcile.items()
    ])
    return statement


class _Paid(NamedTuple):
    """What matching needs of a payment."""

    pk: int
    amount: Decimal
    currency: str
    state: str

    def get_state_display(self):
        return PaymentState(self.state).label


def _adapter(field):
    """How this database wants a column's values (only dates, times and decimals need changing)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return None


def _insert(model, field_names, rows):
    """INSERT many rows at once: PostgreSQL's COPY, elsewhere one prepared INSERT run for every row
    with each value adapted for the database. The ORM's bulk_create builds and prepares a model
    instance per row, which was most of the time for a 10,000-line statement."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapters = [(index, adapt) for index, adapt in enumerate(map(_adapter, fields)) if adapt is not None]
        prepared = []
        for row in rows:
            row = list(row)
            for index, adapt in adapters:
                if row[index] is not None:
                    row[index] = adapt(row[index])
            prepared.append(row)
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", prepared)


@transaction.atomic
def statement_line_resolve(*, line, by, note):
    """A person looked at an unmatched statement line and settled it (e.g. a bank fee, a refund)."""
    _require_finance(by)
    note = (note or "").strip()
    _require(note, "Say how the line was resolved.", "note")
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    _require(line.status == StatementLine.Status.UNMATCHED, "This line is already settled.")
    line.status, line.resolved_by, line.resolved_at, line.reason = (
        StatementLine.Status.RESOLVED, by, timezone.now(), f"{line.reason} Resolved: {note}".strip()
    )
    line.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    return line


@transaction.atomic
def statement_line_link(*, line, payment, by, note=""):
    """A person recognised an unmatched line as a payment (a reference the bank mangled, a fee
    beyond the tolerance): the line is linked to it, a paid payment is reconciled, and what the
    line is short of the payment is recorded as the fee."""
    _require_finance(by)
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    _require(line.status == StatementLine.Status.UNMATCHED, _("This line is already settled."))
    _require(payment.currency == line.currency,
             _("The line is in %(line)s, the payment in %(payment)s.") % {"line": line.currency, "payment": payment.currency},
             "payment")
    _require(payment.state in (PaymentState.PAID, PaymentState.RECONCILED),
             _("Only a paid payment can be linked to a bank statement line."), "payment")
    _require(line.amount <= payment.amount,
             _("The line (%(line)s) is more than the payment (%(payment)s).") % {
                 "line": format_money(line.amount, line.currency), "payment": format_money(payment.amount, payment.currency)},
             "payment")
    if payment.state == PaymentState.PAID:
        payment_reconcile(payment=payment, by=by, note=_("Linked by hand to bank statement line %(number)s") % {"number": line.line_number})
    note = (note or "").strip()
    line.status, line.payment, line.fee = StatementLine.Status.LINKED, payment, payment.amount - line.amount
    line.resolved_by, line.resolved_at = by, timezone.now()
    line.reason = f"{line.reason} " + _("Linked by hand to %(grant)s.") % {"grant": payment.grant.reference} + (f" {note}" if note else "")
    line.save(update_fields=["status", "payment", "fee", "resolved_by", "resolved_at", "reason"])
    _audit_event(line, "link", by=by, from_state=StatementLine.Status.UNMATCHED, to_state=StatementLine.Status.LINKED,
                 note=f"{payment.grant.reference} {payment.reference}")
    return line

