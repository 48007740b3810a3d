"""Importing a fund's past grants and payments — through the same services as live work.

A historical grant is drafted, submitted, screened and then approved, declined or withdrawn by
applications/services.py and disbursements/services.py with `imported=True` and the file's
dates, so every audit row says "imported" and every money rule holds: a file that would
over-commit a fund or overpay a grant is refused at the rows that would do it.
"""
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from applications import services as application_services
from applications.models import Application
from disbursements.models import Grant, Payment
from fundops import roles
from fundops.audit import TransitionNotAllowed
from fundops.models import AuditEntry, Organization
from fundops.money import quantize, to_base
from fundops.themes import DEFAULT_THEMES

from .core import _known, funds_by_slug
from .engine import Importer, RowProblem, aware, in_chunks, problems_from, register

GRANT_COLUMNS = [
    "grant_ref", "org_id", "fund", "title", "countries", "themes", "requested_amount", "awarded_amount",
    "currency", "fx_rate", "submitted_on", "decided_on", "outcome",
]
PAYMENT_COLUMNS = ["grant_ref", "reference", "amount", "currency", "fx_rate", "paid_on", "status"]
OUTCOMES = ["approved", "declined", "withdrawn"]
PAYMENT_STATUSES = ["paid", "reconciled", "returned"]
# Declined and withdrawn applications never become grants; their grant_ref is kept in the
# decision's audit note, written as "(ref. <grant_ref>)", so a second import finds them.
# IN (...) look-ups: long lists on PostgreSQL, SQLite's variable limit elsewhere.
def _lookup_chunk():
    return 10_000 if connection.vendor == "postgresql" else 900


_REF_IN_NOTE = re.compile(r"\(ref\. (?P<ref>[^)]+)\)")


def _staff_problem(by, what):
    if by is not None and (by.is_superuser or roles.is_program_officer(by) or roles.is_finance_officer(by)):
        return None
    return RowProblem(1, "", f"{what} are imported on behalf of a program officer, finance officer or "
                             "administrator: sign in as one (admin) or pass --user USERNAME (command).")


def _refused(error, number, fields_to_columns, default_column, columns):
    """Any refusal from a service, as this row's problems."""
    if isinstance(error, ValidationError):
        return problems_from(error, number, fields_to_columns, default_column, columns)
    return [RowProblem(number, default_column, str(error))]


def imported_application_refs():
    """grant_refs already imported as declined or withdrawn applications."""
    found = set()
    notes = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), transition__in=["decline", "withdraw"],
        note__startswith=application_services.IMPORTED_NOTE, note__contains="(ref. ",
    ).values_list("note", flat=True)
    for note in notes:
        match = _REF_IN_NOTE.search(note)
        if match:
            found.add(match.group("ref"))
    return found


@register
class GrantImporter(Importer):
    kind = "grants"
    columns = GRANT_COLUMNS
    key = "grant_ref"
    fields_to_columns = {
        "organization": "org_id", "requested_currency": "currency", "call": "fund", "summary": "title",
        "amount": "awarded_amount", "awarded_amount": "awarded_amount", "reference": "grant_ref",
        "fx_rate": "fx_rate", "decided_at": "decided_on", "submitted_at": "submitted_on", "reason": "outcome",
        "planned_start": "submitted_on", "planned_end": "decided_on", "budget": "fund",
    }

    def prepare(self, rows):
        if not rows:
            return []
        problems = rows[0].problems
        staff = _staff_problem(self.by, "Grants")
        if staff:
            problems.append(staff)
            return []
        self.check_duplicates(rows, problems)
        funds = funds_by_slug(row.peek("fund") for row in rows)
        organisations = {}
        for chunk in in_chunks({row.peek("org_id") for row in rows}):
            organisations.update({o.org_id: o for o in Organization.objects.filter(org_id__in=chunk)})
        records = []
        for row in self.checking(rows):
            grant_ref = row.text("grant_ref", max_length=60)
            organisation = _known(row, "org_id", organisations, "No organisation has the org_id “{}”: import organizations first.")
            fund = _known(row, "fund", funds, "No fund has the slug “{}”.")
            title = row.text("title", max_length=200)
            countries = row.countries("countries")
            themes = self._themes(row, fund)
            currency = row.currency("currency")
            outcome = row.choice("outcome", OUTCOMES)
            requested = row.amount("requested_amount", currency)
            awarded = None
            if outcome == "approved":
                awarded = row.amount("awarded_amount", currency)
            elif outcome and row.peek("awarded_amount"):
                row.problem("awarded_amount", f"Leave this empty: only approved grants have an awarded amount (this one was {outcome}).")
            fx_rate = row.rate("fx_rate")
            submitted_on = row.date("submitted_on")
            decided_on = row.date("decided_on")
            if submitted_on and decided_on and decided_on < submitted_on:
                row.problem("decided_on", f"The decision ({decided_on}) is before the submission ({submitted_on}).")
                continue
            if None in (grant_ref, organisation, fund, title, countries, themes, currency, outcome, requested,
                        fx_rate, submitted_on, decided_on) or (outcome == "approved" and awarded is None):
                continue
            if currency == fund.base_currency and fx_rate != 1:
                row.problem("fx_rate", f"The rate must be 1: {currency} is the fund's base currency.")
                continue
            if not (row.base_fits("requested_amount", requested, fx_rate) and row.base_fits("awarded_amount", awarded, fx_rate)):
                continue
            if awarded is not None and awarded > requested:
                row.problem("awarded_amount", f"The award ({awarded}) is more than the request ({requested}).")
                continue
            records.append((row.number, dict(
                grant_ref=grant_ref, organization=organisation, fund=fund, title=title, countries=countries,
                themes=themes, requested=requested, awarded=awarded, currency=currency, fx_rate=fx_rate,
                submitted_on=submitted_on, decided_on=decided_on, outcome=outcome,
            )))
        return records

    def _themes(self, row, fund):
        """The row's themes as its fund names them (matched regardless of case): the fund's own list,
        else the network's default (also when the fund is unknown, so the row's other problems show)."""
        offered = fund.theme_choices() if fund is not None else list(DEFAULT_THEMES)
        by_lower = {theme.casefold(): theme for theme in offered}
        themes = []
        for item in row.items("themes"):
            theme = by_lower.get(item.casefold())
            if theme is None:
                if fund is not None and fund.themes:
                    row.problem("themes", f"“{item}” is not one of the themes of {fund.name}: {'; '.join(offered)}.")
                else:
                    row.problem("themes", f"“{item}” is not one of the themes: {'; '.join(offered)}.")
                return None
            themes.append(theme)
        if not themes:
            row.problem("themes", "Name at least one theme.")
            return None
        return themes

    def write(self, records, report):
        refs = [record["grant_ref"] for _, record in records]
        done = imported_application_refs()
        for chunk in in_chunks(refs):
            done.update(Grant.objects.filter(reference__in=chunk).values_list("reference", flat=True))
        problems = []
        for number, record in records:
            if record["grant_ref"] in done:
                report.count(number, "skipped")
                continue
            try:
                self._write_history(record)
            except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
                problems.extend(_refused(error, number, self.fields_to_columns, "grant_ref", self.columns))
                continue
            report.count(number, "created")
        return problems

    def _write_history(self, record):
        by, fund = self.by, record["fund"]
        requested, currency = record["requested"], record["currency"]
        if currency != fund.base_currency:
            # Requests are made in the fund's base currency; the file's is converted at the row's rate.
            requested = to_base(requested, record["fx_rate"], fund.base_currency)
        application = application_services.application_create_draft(
            organization=record["organization"], fund=fund, by=by, title=record["title"],
            # No countries in the file: the work happened where the organisation is (DESIGN.md, attribution).
            themes=record["themes"], countries=record["countries"] or [record["organization"].country.code],
            requested_amount=requested,
            requested_currency=fund.base_currency,
        )
        submitted_at, decided_at = aware(record["submitted_on"]), aware(record["decided_on"])
        application_services.application_submit(application=application, by=by, imported=True, at=submitted_at)
        outcome, ref_note = record["outcome"], f"(ref. {record['grant_ref']})"
        if outcome == "withdrawn":
            application_services.application_withdraw(
                application=application, by=by, imported=True, at=decided_at,
                note=f"Withdrawn, as recorded in the fund's files {ref_note}",
            )
        elif outcome == "declined":
            application_services.application_decline(
                application=application, by=by, imported=True, at=decided_at,
                reason=f"Declined on {record['decided_on']:%d %B %Y}, as recorded in the fund's files {ref_note}",
            )
        else:
            from disbursements import services as disbursement_services

            application_services.application_screen_in(application=application, by=by, imported=True, at=submitted_at)
            disbursement_services.grant_approve(
                application=application, by=by, amount=quantize(record["awarded"], currency), currency=currency,
                fx_rate=record["fx_rate"], reference=record["grant_ref"], imported=True, decided_at=decided_at,
            )


@register
class PaymentImporter(Importer):
    kind = "payments"
    columns = PAYMENT_COLUMNS
    key = "reference"
    fields_to_columns = {"amount": "amount", "currency": "currency", "fx_rate": "fx_rate", "paid_on": "paid_on",
                         "reference": "reference", "state": "status", "status": "status", "grant": "grant_ref"}

    def prepare(self, rows):
        if not rows:
            return []
        problems = rows[0].problems
        staff = _staff_problem(self.by, "Payments")
        if staff:
            problems.append(staff)
            return []
        self.check_duplicates(rows, problems)
        # Plain rows, not model instances: the service locks and re-reads each grant (bench_imports).
        grants = {}
        for chunk in in_chunks({row.peek("grant_ref") for row in rows}, size=_lookup_chunk()):
            grants.update({g["reference"]: g for g in Grant.objects.filter(reference__in=chunk).values(
                "pk", "reference", "currency", "status", "fund__base_currency")})
        self.stored = {}
        for chunk in in_chunks({row.peek("reference") for row in rows}, size=_lookup_chunk()):
            self.stored.update(dict(Payment.objects.filter(reference__in=chunk).values_list("reference", "grant__reference")))
        records = []
        for row in self.checking(rows):
            grant = _known(row, "grant_ref", grants, "No grant has the grant_ref “{}”: import grants first.")
            reference = row.text("reference", max_length=100)
            currency = row.currency("currency")
            amount = row.amount("amount", currency)
            fx_rate = row.rate("fx_rate")
            paid_on = row.date("paid_on")
            status = row.choice("status", PAYMENT_STATUSES)
            if None in (grant, reference, currency, amount, fx_rate, paid_on, status) or not row.base_fits("amount", amount, fx_rate):
                continue
            if currency != grant["currency"]:
                row.problem("currency", f"Grant {grant['reference']} is paid in {grant['currency']}, not {currency}.")
                continue
            if currency == grant["fund__base_currency"] and fx_rate != 1:
                row.problem("fx_rate", f"The rate must be 1: {currency} is the fund's base currency.")
                continue
            stored_for = self.stored.get(reference)
            if stored_for is not None and stored_for != grant["reference"]:
                row.problem("reference", f"The transfer “{reference}” is already recorded for grant {stored_for}.")
                continue
            records.append((row.number, dict(grant=grant["pk"], reference=reference, amount=amount, currency=currency,
                                             fx_rate=fx_rate, paid_on=paid_on, status=status)))
        return records

    def write(self, records, report):
        # One call for the whole file: the service locks each grant once and writes in bulk
        # (per-row payment_import ran at ~70 rows/s; benchmarks/bench_imports.py).
        from disbursements.services import payments_import

        results, refused = payments_import(payments=[record for _, record in records], by=self.by, counts_only=True)
        problems = []
        for index, error in refused:
            problems.extend(_refused(error, records[index][0], self.fields_to_columns, "amount", self.columns))
        if problems:
            return problems
        for (number, _), recorded in zip(records, results):
            # The same bank transfer, recorded once (money rule 6).
            report.count(number, "skipped" if recorded.already_recorded else "created")
        return []
