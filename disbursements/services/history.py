"""Historical payments brought in from another system: the same money rules as a live payment,
nobody named as scheduler or approver (four eyes is not faked), audit rows saying "imported"."""
import datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from applications.models import Application, State
from fundops.models import AuditEntry, Fund
from fundops.money import format_money, to_base

from ..models import PAID_STATES, PENDING_OR_PAID, Grant, Payment, PaymentState, Tranche
from ._common import IMPORTED_NOTE, ZERO, PaymentRecorded, _parse_money, _parse_rate, _require
from .payments import _clean_reference

IMPORT_STATES = [PaymentState.PAID, PaymentState.RECONCILED, PaymentState.RETURNED]


@transaction.atomic
def payment_import(*, grant, reference, amount, currency, fx_rate, paid_on, status, by, fx_date=None):
    """Record one historical payment (paid, reconciled or returned) through the same money rules.

    Nobody is named as scheduler or approver (four eyes is not faked); the audit rows say
    "imported". The same reference imported twice is imported once. One row of
    `payments_import`, so the rule for historical payments lives in one place.
    """
    row = dict(grant=grant, reference=reference, amount=amount, currency=currency, fx_rate=fx_rate,
               paid_on=paid_on, status=status, fx_date=fx_date)
    results, refused = payments_import(payments=[row], by=by)
    if refused:
        raise refused[0][1]
    return results[0]


# Many historical payments at once (the payments import) ----------------------------------


def _grouped_sums(queryset, key):
    return {
        row[key]: Decimal(row["total"]).quantize(Decimal("0.0001"))
        for row in queryset.values(key).annotate(total=Sum("amount"))
    }


def _chunks(values):
    """Look-ups split so `IN (...)` stays under the parameter limit: large on PostgreSQL (few round
    trips), small elsewhere (SQLite's variable limit)."""
    size = 10_000 if connection.vendor == "postgresql" else 500
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _pk(grant):
    """A grant given as a model instance or as its primary key."""
    return grant if isinstance(grant, int) else grant.pk


class _Grant(NamedTuple):
    pk: int
    reference: str
    currency: str
    status: str
    amount: Decimal
    application_id: int
    base_currency: str


class _Tranche(NamedTuple):
    pk: int
    amount: Decimal
    status: str


def _reference_or_blank(reference):
    try:
        return _clean_reference(reference) if reference else ""
    except ValidationError:
        return ""


_PAYMENT_COLUMNS = ("grant_id", "tranche_id", "amount", "currency", "state", "scheduled_by_id", "scheduled_at",
                    "paid_on", "fx_rate", "fx_date", "base_amount", "reference", "recorded_by_id", "recorded_at",
                    "reconciled_at", "note")
_AUDIT_COLUMNS = ("content_type_id", "object_id", "actor_id", "at", "transition", "from_state", "to_state", "note")


def _insert_rows(model, columns, rows):
    """Many rows of one table written at once: a COPY on PostgreSQL (no model instances, no
    per-value preparation; the values are plain Python ones), bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row))) for row in rows], batch_size=2000)
        return
    by_attname = {field.attname: field.column for field in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(by_attname[column]) for column in columns)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _insert_payments(rows):
    """The imported payments (rows in _PAYMENT_COLUMNS order) written; returns their ids in order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        payments = [Payment(**dict(zip(_PAYMENT_COLUMNS, row))) for row in rows]
        Payment.objects.bulk_create(payments, batch_size=2000)
        return [payment.pk for payment in payments]
    with connection.cursor() as cursor:
        # The ids are taken from the table's own sequence first, so the audit rows can name them.
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [Payment._meta.db_table, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
    _insert_rows(Payment, ("id", *_PAYMENT_COLUMNS), [(pk, *row) for pk, row in zip(ids, rows)])
    return ids


def _with_payments(results, counts_only):
    """results carry payment ids while working; callers get the Payments (or None: counts_only)."""
    if counts_only:
        return [None if r is None else PaymentRecorded(None, r.already_recorded) for r in results]
    found = {}
    for chunk in _chunks([r.payment for r in results if r is not None]):
        found.update(Payment.objects.in_bulk(chunk))
    return [None if r is None else PaymentRecorded(found[r.payment], r.already_recorded) for r in results]


@transaction.atomic
def payments_import(*, payments, by, counts_only=False):
    """Record many historical payments with each grant locked once: payment_import's rules
    (money rules 4 and 6, the first open tranche with room, the application's disbursing steps,
    audit rows saying "imported") checked row by row against running totals, then written in bulk.

    `payments` is a list of dicts of payment_import's arguments (`grant` a Grant or its pk).
    Returns (results, refused): results[i] is a PaymentRecorded (already_recorded=True for a
    reference recorded before); refused is [(i, ValidationError)] — when it is not empty nothing
    at all was written. With counts_only=True (an import file) results[i].payment is None: only
    whether it was recorded before is returned. Reads are plain rows and PostgreSQL writes are a
    COPY, not model instances (benchmarks/bench_imports.py).
    """
    grant_ids = sorted({_pk(row["grant"]) for row in payments})
    # Lock order as everywhere: grants (ascending), then their applications.
    locked = []
    for chunk in _chunks(grant_ids):
        locked.extend(Grant.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list(
            "pk", "reference", "currency", "status", "amount", "application_id", "fund_id"))
    fund_ids = {row[-1] for row in locked}
    base_currencies = dict(Fund.objects.filter(pk__in=fund_ids).values_list("pk", "base_currency"))
    grants = {row[0]: _Grant(*row[:-1], base_currencies[row[-1]]) for row in locked}
    application_ids = sorted({grant.application_id for grant in grants.values()})
    application_states = {}
    for chunk in _chunks(application_ids):
        application_states.update(
            Application.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", "state"))
    tranches, tranche_by_pk = {}, {}
    pending_by_grant, pending_by_tranche, paid_by_grant, paid_by_tranche = {}, {}, {}, {}
    for chunk in _chunks(grant_ids):
        for pk, grant_id, amount, status in (Tranche.objects.filter(grant_id__in=chunk)
                                             .order_by("grant_id", "number").values_list("pk", "grant_id", "amount", "status")):
            tranche = _Tranche(pk, amount, status)
            tranches.setdefault(grant_id, []).append(tranche)
            tranche_by_pk[pk] = tranche
        # Paid and pending sums per grant and per tranche, in one grouped query.
        sums = (Payment.objects.filter(grant_id__in=chunk).values("grant_id", "tranche_id")
                .annotate(pending=Sum("amount", filter=Q(state__in=PENDING_OR_PAID)),
                          paid=Sum("amount", filter=Q(state__in=PAID_STATES)))
                .values_list("grant_id", "tranche_id", "pending", "paid").order_by())
        for grant_id, tranche_id, pending, paid in sums:
            for totals, key, value in ((pending_by_grant, grant_id, pending), (pending_by_tranche, tranche_id, pending),
                                       (paid_by_grant, grant_id, paid), (paid_by_tranche, tranche_id, paid)):
                if value is not None:
                    totals[key] = totals.get(key, ZERO) + value
    for totals in (pending_by_grant, pending_by_tranche, paid_by_grant, paid_by_tranche):
        for key, value in totals.items():
            totals[key] = Decimal(value).quantize(Decimal("0.0001"))
    references = {_reference_or_blank(row["reference"]) for row in payments}
    holders = {}
    for chunk in _chunks(references):
        holders.update({reference: (pk, grant_id, grant_reference) for pk, reference, grant_id, grant_reference in
                        Payment.objects.filter(reference__in=chunk).values_list("pk", "reference", "grant_id", "grant__reference")})

    results, refused, new_payments, seen = [None] * len(payments), [], [], set()
    for index, row in enumerate(payments):
        try:
            reference = _clean_reference(row["reference"])
            status = str(row["status"] or "").lower()
            _require(status in IMPORT_STATES, "Imported payments are paid, reconciled or returned.", "status")
            grant = grants[_pk(row["grant"])]
            holder = holders.get(reference)
            if holder is not None:
                if holder[1] != grant.pk:
                    raise ValidationError({"reference": [f"Bank reference {reference} is already recorded for {holder[2]}."]})
                results[index] = PaymentRecorded(holder[0], True)
                continue
            _require(reference not in seen, f"Bank reference {reference} appears twice.", "reference")
            currency = (row["currency"] or "").upper()
            _require(currency == grant.currency, f"Award {grant.reference} is paid in {grant.currency}, not {currency}.", "currency")
            amount = _parse_money(row["amount"], currency, "amount")
            rate = _parse_rate(row["fx_rate"], currency=currency, base_currency=grant.base_currency)
            paid_on = row["paid_on"]
            _require(paid_on is not None and paid_on <= timezone.localdate(), "Give a payment date that is not in the future.", "paid_on")
            _require(grant.status == Grant.Status.ACTIVE, f"Award {grant.reference} is cancelled.")
            tranche = next(
                (t for t in tranches.get(grant.pk, []) if t.status == Tranche.Status.OPEN
                 and t.amount - pending_by_tranche.get(t.pk, ZERO) >= amount),
                None,
            )
            if tranche is None:
                raise ValidationError(
                    {"amount": [f"No tranche of {grant.reference} has {format_money(amount, currency)} left to pay: "
                                f"paid and pending payments would exceed the award."]}
                )
            grant_left = grant.amount - pending_by_grant.get(grant.pk, ZERO)
            _require(amount <= grant_left, f"Award {grant.reference} has {format_money(max(grant_left, ZERO), currency)} "
                                           f"left to pay; this payment is {format_money(amount, currency)}.", "amount")
        except ValidationError as error:
            refused.append((index, error))
            continue
        seen.add(reference)
        if status != PaymentState.RETURNED:
            pending_by_grant[grant.pk] = pending_by_grant.get(grant.pk, ZERO) + amount
            pending_by_tranche[tranche.pk] = pending_by_tranche.get(tranche.pk, ZERO) + amount
        new_payments.append((index, grant, tranche, reference, amount, currency, rate, paid_on,
                             row.get("fx_date") or paid_on, status))
    if refused:
        return _with_payments(results, counts_only), refused

    # Every row passed: only now are the Payments and their history built and written.
    rows = []
    for _, grant, tranche, reference, amount, currency, rate, paid_on, fx_date, status in new_payments:
        at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(12)))
        rows.append((grant.pk, tranche.pk, amount, currency, str(status), None, at, paid_on, rate, fx_date,
                     to_base(amount, rate, grant.base_currency), reference, by.pk if by else None, at,
                     at if status == PaymentState.RECONCILED else None, IMPORTED_NOTE))
    payment_ids = _insert_payments(rows)
    for (index, *_), pk in zip(new_payments, payment_ids):
        results[index] = PaymentRecorded(pk, False)
    payment_type = ContentType.objects.get_for_model(Payment).pk
    application_type = ContentType.objects.get_for_model(Application).pk
    audit, touched_tranches, new_states = [], set(), {}
    actor = by.pk if by else None

    def entry(content_type, object_id, transition, from_state, to_state, at):
        audit.append((content_type, object_id, actor, at, transition, str(from_state), str(to_state), IMPORTED_NOTE))

    for (_, grant, tranche, _, amount, _, _, _, _, status), payment_id, row in zip(new_payments, payment_ids, rows):
        at = row[6]
        # The history as payment_import writes it, one audit row per step.
        entry(payment_type, payment_id, "approve", PaymentState.SCHEDULED, PaymentState.APPROVED, at)
        entry(payment_type, payment_id, "mark_paid", PaymentState.APPROVED, PaymentState.PAID, at)
        touched_tranches.add(tranche.pk)
        paid_by_grant[grant.pk] = paid_by_grant.get(grant.pk, ZERO) + amount
        paid_by_tranche[tranche.pk] = paid_by_tranche.get(tranche.pk, ZERO) + amount
        application_id = grant.application_id
        state = new_states.get(application_id, application_states[application_id])
        if state == State.APPROVED:
            entry(application_type, application_id, "start_disbursing", state, State.DISBURSING, at)
            state = State.DISBURSING
        if state == State.DISBURSING and paid_by_grant[grant.pk] >= grant.amount:
            entry(application_type, application_id, "complete_disbursement", state, State.DISBURSED, at)
            state = State.DISBURSED
        if status == PaymentState.RECONCILED:
            entry(payment_type, payment_id, "reconcile", PaymentState.PAID, PaymentState.RECONCILED, at)
        elif status == PaymentState.RETURNED:
            entry(payment_type, payment_id, "mark_returned", PaymentState.PAID, PaymentState.RETURNED, at)
            paid_by_grant[grant.pk] -= amount
            paid_by_tranche[tranche.pk] -= amount
            if state == State.DISBURSED:
                entry(application_type, application_id, "reopen_disbursement", state, State.DISBURSING, at)
                state = State.DISBURSING
        new_states[application_id] = state
    _insert_rows(AuditEntry, _AUDIT_COLUMNS, audit)
    paid_tranches = [pk for pk in touched_tranches if paid_by_tranche.get(pk, ZERO) >= tranche_by_pk[pk].amount]
    reopened = [pk for pk in touched_tranches if pk not in paid_tranches and tranche_by_pk[pk].status == Tranche.Status.PAID]
    for chunk in _chunks(paid_tranches):
        Tranche.objects.filter(pk__in=chunk).update(status=Tranche.Status.PAID)
    for chunk in _chunks(reopened):
        Tranche.objects.filter(pk__in=chunk).update(status=Tranche.Status.OPEN)
    by_state = {}
    for application_id, state in new_states.items():
        if state != application_states[application_id]:
            by_state.setdefault(state, []).append(application_id)
    for state, ids in by_state.items():
        for chunk in _chunks(ids):
            Application.objects.filter(pk__in=chunk).update(state=state)
    return _with_payments(results, counts_only), refused
