"""The import engine: read a CSV or XLSX file, check every row, write all or nothing.

Every row is checked first and every problem collected (row number as seen in the file, column,
plain message); only a clean file is written, in ONE transaction, through the same services as
live work — one row a service refuses and nothing at all is kept. The formats are in
docs/data-formats.md.
"""
import datetime
import re
import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.models import MONEY, RATE
from fundops.money import CURRENCIES, MoneyError, minor_units, parse_decimal

from .files import _is_blank, read_sheet
from .results import ImportRefused, ImportReport, RowProblem

LIST_SEPARATOR = ";"
# A plain decimal as people type it: digits, an optional '.' point. No thousands separators,
# no exponents — "1,250" or "1e3" in a money column is far more often a mistake than intended.
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_RATE_PLACES = RATE["decimal_places"]
# Amounts (and base amounts, amount x rate) stay under one trillion: 12 digits before the point
# and at most 3 after make 15 significant digits, which SQLite (decimals stored as REAL, read back
# at 15 digits) keeps exactly; MONEY's 18 digits (14 before the point) would not: 99999999999999.99
# reads back as 1E+14 and overflows the column. Rates stay inside RATE (20 digits, 10 decimals).
MAX_AMOUNT = Decimal(10) ** 12
assert MAX_AMOUNT <= Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])
MAX_RATE = Decimal(10) ** (RATE["max_digits"] - RATE["decimal_places"])  # 10^10, exclusive


# Cells -> values, collecting problems ------------------------------------------------------


class Row:
    """One row's cells with parsers that record a problem instead of raising."""

    def __init__(self, number, cells, problems):
        self.number = number
        self.cells = cells
        self.problems = problems

    def problem(self, column, message):
        self.problems.append(RowProblem(self.number, column, message))

    def peek(self, column):
        """The cell as text, without checking it (for keys and look-ups)."""
        value = self.cells.get(column)
        if isinstance(value, float) and value.is_integer():
            value = str(int(value))  # an id typed as 123 comes back from XLSX as 123.0
        elif isinstance(value, datetime.datetime):
            value = value.date().isoformat()
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        return "" if value is None else str(value).strip()

    def text(self, column, *, required=True, max_length=None):
        value = self.peek(column)
        if required and not value:
            self.problem(column, "This is required.")
            return None
        if max_length and len(value) > max_length:
            self.problem(column, f"“{value[:30]}…” is longer than {max_length} characters.")
            return None
        return value

    def choice(self, column, choices, *, required=True):
        value = self.text(column, required=required)
        if not value:
            return value
        value = value.lower()
        if value not in choices:
            self.problem(column, f"“{value}” is not one of: {', '.join(choices)}.")
            return None
        return value

    def boolean(self, column):
        value = self.cells.get(column)
        if isinstance(value, bool):
            return value
        text = self.text(column)
        if text is None:
            return None
        if text.lower() in {"true", "false"}:
            return text.lower() == "true"
        self.problem(column, f"“{text}” must be true or false.")
        return None

    def email(self, column):
        value = self.text(column, required=False, max_length=254)
        if value:
            try:
                EmailValidator()(value)
            except ValidationError:
                self.problem(column, f"“{value}” is not an email address.")
                return None
        return value

    def slug(self, column):
        value = self.text(column, max_length=100)
        if value:
            try:
                validate_slug(value)
            except ValidationError:
                self.problem(column, f"“{value}” may contain only letters, numbers, hyphens and underscores.")
                return None
        return value

    def country(self, column, *, required=True):
        value = self.text(column, required=required)
        if not value:
            return value
        code = value.upper()
        if code not in _country_codes():
            self.problem(column, f"“{value}” is not an ISO 3166-1 alpha-2 country code (e.g. KE, GT, NP).")
            return None
        return code

    def countries(self, column):
        value = self.text(column, required=False)
        codes = []
        for part in (value or "").split(LIST_SEPARATOR):
            part = part.strip().upper()
            if not part:
                continue
            if part not in _country_codes():
                self.problem(column, f"“{part}” is not an ISO 3166-1 alpha-2 country code (e.g. KE, GT, NP).")
                return None
            if part not in codes:
                codes.append(part)
        return codes

    def items(self, column):
        value = self.text(column, required=False)
        return [part.strip() for part in (value or "").split(LIST_SEPARATOR) if part.strip()]

    def currency(self, column):
        value = self.text(column)
        if not value:
            return None
        code = value.upper()
        if code not in CURRENCIES:
            self.problem(column, f"“{value}” is not a currency fundops handles (ISO 4217 code such as USD, EUR, KES).")
            return None
        return code

    def _number(self, column, *, required):
        value = self.cells.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(column, "This is required.")
            return None
        if isinstance(value, bool):
            self.problem(column, f"“{value}” is not a number.")
            return None
        if isinstance(value, str):
            text = value.strip()
            if not _PLAIN_NUMBER.match(text):
                self.problem(
                    column, f"“{text}” is not a number: use digits with a '.' decimal point, no thousands separators."
                )
                return None
        try:
            number = parse_decimal(value)  # XLSX floats go through repr(): 1234.56 stays 1234.56
        except MoneyError as error:
            self.problem(column, str(error))
            return None
        if not number.is_finite():  # an XLSX cell can hold inf or nan
            self.problem(column, _("“%(value)s” is not a number.") % {"value": value})
            return None
        return number

    def amount(self, column, currency, *, required=True, allow_zero=False):
        value = self._number(column, required=required)
        if value is None:
            return None
        if value < 0 or (value == 0 and not allow_zero):
            self.problem(column, f"“{value}” must be more than zero.")
            return None
        if value >= MAX_AMOUNT:
            self.problem(column, _("“%(value)s” is too large: amounts have at most %(digits)d digits before the "
                                   "decimal point.") % {"value": _shown_number(value), "digits": _digits(MAX_AMOUNT)})
            return None
        if currency and _places(value) > minor_units(currency):
            self.problem(
                column,
                f"“{value}” has more decimal places than {currency} has ({minor_units(currency)}); "
                "amounts are imported exactly, never rounded.",
            )
            return None
        return value

    def rate(self, column):
        value = self._number(column, required=True)
        if value is None:
            return None
        if value <= 0:
            self.problem(column, f"“{value}” must be more than zero.")
            return None
        if value >= MAX_RATE:
            self.problem(column, _("“%(value)s” is too large for an exchange rate: at most %(digits)d digits before "
                                   "the decimal point.") % {"value": _shown_number(value), "digits": _digits(MAX_RATE)})
            return None
        if _places(value) > _RATE_PLACES:
            self.problem(column, f"“{value}” has more than {_RATE_PLACES} decimal places.")
            return None
        return value

    def date(self, column, *, required=True):
        value = self.cells.get(column)
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = self.text(column, required=required)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.datetime.fromisoformat(text).date()
        except ValueError:
            self.problem(column, f"“{text}” is not a date: write it as YYYY-MM-DD (ISO 8601).")
            return None


    def base_fits(self, column, amount, rate):
        """False (with a problem on `column`) when amount x rate would not fit a stored base amount."""
        if amount is None or rate is None or amount * rate < MAX_AMOUNT:
            return True
        self.problem(column, _("%(amount)s at rate %(rate)s is too large in the fund's base currency: base amounts "
                               "have at most %(digits)d digits before the decimal point.")
                     % {"amount": _shown_number(amount), "rate": _shown_number(rate), "digits": _digits(MAX_AMOUNT)})
        return False


def _digits(bound):
    return len(str(int(bound))) - 1


def _shown_number(value):
    """A number as the user typed it, shortened: a 31-digit amount is not repeated in full."""
    text = format(value, "f")
    return text if len(text) <= 24 else text[:20] + "…"


def _places(value):
    exponent = value.normalize().as_tuple().exponent if value else 0
    return max(0, -exponent)


_COUNTRY_CODES = None


def _country_codes():
    global _COUNTRY_CODES
    if _COUNTRY_CODES is None:
        from django_countries import countries

        _COUNTRY_CODES = frozenset(code for code, _ in countries)
    return _COUNTRY_CODES


def aware(day):
    """A decision or submission day as a moment (noon, so no time zone moves it to another day)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def problems_from(error, row_number, fields_to_columns, default_column, columns=()):
    """A service's ValidationError as RowProblems, each on the file column to blame."""
    if hasattr(error, "error_dict"):
        problems = []
        for name, errors in error.error_dict.items():
            column = fields_to_columns.get(name) or (name if name in columns else default_column)
            for message in errors:
                problems.append(RowProblem(row_number, column, " ".join(message.messages)))
        return problems
    return [RowProblem(row_number, default_column, message) for message in error.messages]


# The engine --------------------------------------------------------------------------------


class Importer:
    """One kind of file. Subclasses give `columns`, `key`, `prepare` (check) and `write_row`."""

    kind = ""
    columns = []
    key = ""

    def __init__(self, *, by=None, progress=None):
        self.by = by
        self.progress = progress or Progress()

    def checking(self, rows):
        """The rows, in order, telling the progress how many have been checked (for the admin's page)."""
        for checked, row in enumerate(rows):
            self.progress.checked(checked)
            yield row
        self.progress.checked(len(rows))

    def prepare(self, rows):
        """Check every row (bulk look-ups only) and return [(row number, record)] to write."""
        raise NotImplementedError

    def write(self, records, report):
        """Write the checked records; returns the RowProblems of rows a service refused."""
        problems = []
        for number, record in records:
            try:
                outcome = self.write_row(record)
            except ValidationError as error:
                problems.extend(problems_from(error, number, self.fields_to_columns, self.key, self.columns))
                continue
            report.count(number, outcome)
        return problems

    fields_to_columns = {}

    def write_row(self, record):
        raise NotImplementedError

    def check_duplicates(self, rows, problems, key_of=None, what=None):
        """A key twice in one file is ambiguous: which row wins? Refuse both, naming the first."""
        key_of = key_of or (lambda row: row.peek(self.key))
        first_seen = {}
        for row in rows:
            key = key_of(row)
            if key in (None, ""):
                continue
            if key in first_seen:
                problems.append(RowProblem(
                    row.number, what or self.key, f"“{_show(key)}” appears again (first on row {first_seen[key]}); each must be unique in the file."
                ))
            else:
                first_seen[key] = row.number


def _show(key):
    if isinstance(key, tuple):
        return ", ".join("" if part is None else str(part) for part in key)
    return str(key)


def in_chunks(values, size=900):
    """Split look-ups so `IN (...)` stays under every database's parameter limit."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def check_headers(sheet, columns):
    problems = []
    if not sheet.headers:
        return [RowProblem(1, "", "The file is empty: it needs a header row naming the columns "
                                  f"({', '.join(columns)}) and at least one row of data.")]
    seen = set()
    for name in sheet.headers:
        if name in seen:
            problems.append(RowProblem(1, name or "(blank)", "This column appears twice in the header."))
        seen.add(name)
    missing = [c for c in columns if c not in seen]
    extra = [h for h in sheet.headers if h not in columns]
    if missing:
        problems.append(RowProblem(1, ", ".join(missing), f"Missing column{'s' if len(missing) > 1 else ''}. "
                                   f"The header row must name exactly: {', '.join(columns)}."))
    if extra:
        shown = ", ".join(h or "(blank)" for h in extra)
        problems.append(RowProblem(1, shown, f"Unknown column{'s' if len(extra) > 1 else ''}: this file takes only "
                                   f"{', '.join(columns)}."))
    if not problems and not sheet.rows:
        problems.append(RowProblem(2, "", "The file has a header row but no data rows."))
    for number, _cells, overflow in sheet.rows:
        if not _is_blank(overflow):
            problems.append(RowProblem(number, "", "This row has more cells than the header has columns."))
    return problems


class Progress:
    """Told how far an import has got; `on_change(stage, done, total)` hears at most every half second.

    Stages: "checking" (rows checked of total), then "writing" (one transaction, no count: what
    it writes is invisible to others until it commits).
    """

    INTERVAL = 0.5

    def __init__(self, on_change=None):
        self.on_change = on_change
        self.total = 0
        self._last = 0.0

    def start(self, total):
        self.total = total
        self._tell("checking", 0, force=True)

    def checked(self, done):
        self._tell("checking", done, force=done >= self.total)

    def writing(self):
        self._tell("writing", self.total, force=True)

    def _tell(self, stage, done, *, force=False):
        if self.on_change is None:
            return
        now = time.monotonic()
        if force or now - self._last >= self.INTERVAL:
            self._last = now
            self.on_change(stage, done, self.total)


def run_import(kind, data, *, filename="", by=None, dry_run=False, progress=None, limits=None):
    """Import one file of `kind`; returns an ImportReport, or raises ImportRefused listing every problem.

    The file's size, rows and (for XLSX) unpacked size are checked before it is parsed. Nothing
    is written unless every row is good and every service accepts every row. A dry run does all
    the same work inside a transaction and rolls it back.
    """
    return import_sheet(kind, read_sheet(data, filename, limits=limits), by=by, dry_run=dry_run, progress=progress)


def import_sheet(kind, sheet, *, by=None, dry_run=False, progress=None):
    """The engine proper, for a file already read (`read_sheet`)."""
    progress = progress or Progress()
    importer = IMPORTERS[kind](by=by, progress=progress)
    report = ImportReport(kind=kind, dry_run=dry_run)
    report.encoding = sheet.encoding
    report.rows = len(sheet.rows)
    progress.start(report.rows)
    problems = check_headers(sheet, importer.columns)
    if problems:
        raise ImportRefused(problems, report)
    row_problems = []
    rows = [Row(number, cells, row_problems) for number, cells, _overflow in sheet.rows]
    records = importer.prepare(rows)
    if row_problems:
        raise ImportRefused(_ordered(row_problems, importer.columns), report)
    progress.checked(report.rows)
    progress.writing()
    try:
        with transaction.atomic():
            refused = importer.write(records, report)
            if refused:
                raise ImportRefused(_ordered(refused, importer.columns), report)
            if dry_run:
                raise _DryRunDone()
    except _DryRunDone:
        pass
    return report


class _DryRunDone(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _ordered(problems, columns):
    """Row by row, and within a row in the file's column order — as the user reads it."""
    position = {name: index for index, name in enumerate(columns)}
    return sorted(set(problems), key=lambda p: (p.row, position.get(p.column, -1), p.message))


IMPORTERS = {}


def register(importer_class):
    IMPORTERS[importer_class.kind] = importer_class
    return importer_class

