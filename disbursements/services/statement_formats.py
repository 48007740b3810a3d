"""Reading bank statements as banks send them — CAMT.053 XML (with defusedxml), MT940 (with mt-940),
a bank's CSV through its saved mapping, and fundops' own four-column CSV — into plain lines of
(line number, date, amount, currency, reference). A file is read whole: every problem found is
reported at once in a StatementError, and nothing is returned unless every line reads."""
import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import ParseError

import mt940
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fundops.money import CURRENCIES, MoneyError, minor_units, parse_decimal, quantize

from ..models import BankStatement

STATEMENT_COLUMNS = ["date", "amount", "currency", "reference"]
Format = BankStatement.Format


class StatementError(ValidationError):
    """The statement could not be read: nothing was changed. `lines` lists (line number, message)."""

    def __init__(self, lines):
        self.lines = lines
        super().__init__([f"Line {number}: {message}" for number, message in lines])


class ParsedStatement:
    """What a parser read: lines of (line number, date, amount, currency, reference), and the
    bank's own identity of the statement when the format carries one."""

    def __init__(self, lines, *, statement_id="", account=""):
        self.lines, self.statement_id, self.account = lines, statement_id[:100], account[:64]


def _decode(raw, encoding="utf-8-sig", hint=None):
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise StatementError([(1, hint or _("The file is not %(encoding)s text.") % {"encoding": encoding})])


def _check_amount(amount, currency, problems):
    if amount <= 0:
        problems.append("the amount must be greater than zero")
    elif currency in CURRENCIES and quantize(amount, currency) != amount:
        problems.append(f"{currency} amounts have {minor_units(currency)} decimal places at most")


def _parse_statement(file):
    """fundops' own CSV: date (YYYY-MM-DD), amount (with a '.' point), currency, reference."""
    raw = file.read() if hasattr(file, "read") else file
    return _parse_own_csv(raw).lines


def _parse_own_csv(raw):
    raw = _decode(raw, hint="The file is not UTF-8 text: export the statement as CSV (UTF-8).")
    reader = csv.reader(io.StringIO(raw))
    rows = list(reader)
    if not rows:
        raise StatementError([(1, "The file is empty.")])
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in STATEMENT_COLUMNS if name not in header]
    if missing:
        raise StatementError([(1, f"The header must name the columns {', '.join(STATEMENT_COLUMNS)}; missing: {', '.join(missing)}.")])
    index = {name: header.index(name) for name in STATEMENT_COLUMNS}
    errors, lines = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            hint = " (a comma inside an amount? Write 1250.50, without thousands separators)" if len(row) > len(header) else ""
            errors.append((number, f"expected {len(header)} columns, found {len(row)}{hint}."))
            continue
        cell = {name: row[i].strip() for name, i in index.items()}
        problems = []
        try:
            date = datetime.date.fromisoformat(cell["date"])
        except ValueError:
            problems.append(f"“{cell['date']}” is not a date (use YYYY-MM-DD)")
            date = None
        currency = cell["currency"].upper()
        if currency not in CURRENCIES:
            problems.append(f"“{cell['currency']}” is not a known currency code")
        try:
            amount = parse_decimal(cell["amount"])
            _check_amount(amount, currency, problems)
        except MoneyError:
            problems.append(f"“{cell['amount']}” is not an amount (digits with a '.' decimal point)")
            amount = None
        if not cell["reference"]:
            problems.append("the reference is empty")
        if problems:
            errors.append((number, "; ".join(problems) + "."))
        else:
            lines.append((number, date, amount, currency, " ".join(cell["reference"].split())))
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([(2, "The statement has no lines.")])
    return ParsedStatement(lines)


def _bank_amount(text, mapping):
    """An amount as this bank writes it (1.234,56 or -1 234.56): debits and credits alike are
    read as their size; the payment they match says which way the money went."""
    text = text.strip().replace("\u00a0", " ")
    if mapping.thousands_separator:
        text = text.replace(mapping.thousands_separator, "")
    text = text.replace(" ", "")
    if mapping.decimal_comma:
        text = text.replace(",", ".")
    text = text.lstrip("+")
    if text.startswith("-"):
        text = text[1:]
    if text.endswith("-"):  # some banks write debits as 1234.56-
        text = text[:-1]
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise MoneyError(text)
    return Decimal(text)


def _parse_mapped_csv(raw, mapping):
    """A bank's own CSV, read through its saved mapping (delimiter, encoding, date format,
    decimal comma, thousands separator, column names)."""
    raw = _decode(raw, mapping.encoding or "utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=mapping.delimiter or ","))
    if not rows:
        raise StatementError([(1, _("The file is empty."))])
    header = [cell.strip().lower() for cell in rows[0]]
    wanted = {"date": mapping.date_column, "amount": mapping.amount_column, "reference": mapping.reference_column}
    if mapping.currency_column:
        wanted["currency"] = mapping.currency_column
    missing = [column for column in wanted.values() if column.strip().lower() not in header]
    if missing:
        raise StatementError([(1, _("The header must name the columns of the %(bank)s mapping; missing: %(missing)s.")
                               % {"bank": mapping.bank_name, "missing": ", ".join(missing)})])
    index = {name: header.index(column.strip().lower()) for name, column in wanted.items()}
    errors, lines = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            errors.append((number, _("expected %(want)s columns, found %(found)s.") % {"want": len(header), "found": len(row)}))
            continue
        cell = {name: row[i].strip() for name, i in index.items()}
        problems = []
        try:
            date = datetime.datetime.strptime(cell["date"], mapping.date_format).date()
        except ValueError:
            problems.append(_("“%(value)s” is not a date like %(format)s") % {"value": cell["date"], "format": mapping.date_format})
            date = None
        currency = (cell.get("currency") or mapping.default_currency or "").upper()
        if currency not in CURRENCIES:
            problems.append(_("“%(value)s” is not a known currency code") % {"value": currency})
        try:
            amount = _bank_amount(cell["amount"], mapping)
            _check_amount(amount, currency, problems)
        except MoneyError:
            problems.append(_("“%(value)s” is not an amount as %(bank)s writes them") % {"value": cell["amount"], "bank": mapping.bank_name})
            amount = None
        if not cell["reference"]:
            problems.append(_("the reference is empty"))
        if problems:
            errors.append((number, "; ".join(problems) + "."))
        else:
            lines.append((number, date, amount, currency, " ".join(cell["reference"].split())))
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([(2, _("The statement has no lines."))])
    return ParsedStatement(lines)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _child(element, *path):
    """The first descendant along `path` of local names (CAMT versions differ only by namespace)."""
    for name in path:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _text(element, *path):
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _parse_camt053(raw):
    """ISO 20022 CAMT.053 (bank-to-customer statement), any version: one line per entry (Ntry),
    its reference the end-to-end id of our payment file, else the remittance text, else the
    bank's own reference. Parsed with defusedxml: no entity tricks, no network."""
    try:
        root = parse_xml(raw if isinstance(raw, (bytes, str)) else bytes(raw), forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise StatementError([(1, _("The file is not well-formed CAMT.053 XML (%(problem)s).") % {"problem": error})])
    statement_root = _child(root, "BkToCstmrStmt")
    if _local(root.tag) != "Document" or statement_root is None:
        raise StatementError([(1, _("This XML is not a CAMT.053 bank statement (no Document/BkToCstmrStmt)."))])
    statements = [child for child in statement_root if _local(child.tag) == "Stmt"]
    if not statements:
        raise StatementError([(1, _("The CAMT.053 file holds no statement (Stmt)."))])
    errors, lines, ids, account = [], [], [], ""
    number = 0
    for stmt in statements:
        ids.append(_text(stmt, "Id"))
        account = account or _text(stmt, "Acct", "Id", "IBAN") or _text(stmt, "Acct", "Id", "Othr", "Id")
        for entry in (child for child in stmt if _local(child.tag) == "Ntry"):
            number += 1
            problems = []
            amount_node = _child(entry, "Amt")
            currency = (amount_node.get("Ccy", "") if amount_node is not None else "").upper()
            if currency not in CURRENCIES:
                problems.append(_("“%(value)s” is not a known currency code") % {"value": currency})
            try:
                amount = Decimal((amount_node.text or "").strip()) if amount_node is not None else None
                if amount is None or not amount.is_finite():
                    raise InvalidOperation
                _check_amount(amount, currency, problems)
            except InvalidOperation:
                problems.append(_("the entry has no amount (Amt)"))
                amount = None
            day = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")[:10] or _text(entry, "ValDt", "Dt")
            try:
                date = datetime.date.fromisoformat(day)
            except ValueError:
                problems.append(_("the entry has no booking date (BookgDt)"))
                date = None
            transaction_details = _child(entry, "NtryDtls", "TxDtls")
            end_to_end = _text(transaction_details, "Refs", "EndToEndId")
            reference = (
                (end_to_end if end_to_end and end_to_end != "NOTPROVIDED" else "")
                or _text(transaction_details, "RmtInf", "Ustrd") or _text(entry, "AcctSvcrRef")
            )
            if not reference:
                problems.append(_("the entry has no reference (EndToEndId, Ustrd or AcctSvcrRef)"))
            if problems:
                errors.append((number, _("entry %(number)s: %(problems)s.") % {"number": number, "problems": "; ".join(problems)}))
            else:
                lines.append((number, date, amount, currency, " ".join(reference.split())[:100]))
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([(1, _("The statement has no entries."))])
    return ParsedStatement(lines, statement_id=",".join(filter(None, ids)), account=account)


_MT940_EREF = re.compile(r"/EREF/([^/\n]+)")


def _parse_mt940(raw):
    """SWIFT MT940, read with the mt-940 library. The file is refused unless every :61: line is
    read and the opening balance plus the lines gives the closing balance (a misread amount
    would otherwise slip through)."""
    text = _decode(raw, "utf-8-sig")
    if ":20:" not in text or ":61:" not in text:
        raise StatementError([(1, _("This is not an MT940 statement (no :20: or :61: field)."))])
    try:
        transactions = mt940.parse(text)
    except Exception as error:  # the library raises RuntimeError, ValueError, KeyError… on bad fields
        raise StatementError([(1, _("The MT940 file could not be read (%(problem)s).") % {"problem": str(error).splitlines()[0][:200]})])
    expected = len(re.findall(r"^:61:", text, flags=re.MULTILINE))
    read = list(transactions)
    if len(read) != expected:
        raise StatementError([(1, _("The MT940 file has %(expected)s transactions (:61:) but only %(read)s could be read.")
                               % {"expected": expected, "read": len(read)})])
    data = transactions.data
    opening, closing = data.get("final_opening_balance") or data.get("intermediate_opening_balance"), (
        data.get("final_closing_balance") or data.get("intermediate_closing_balance"))
    if opening is not None and closing is not None and len(re.findall(r"^:20:", text, flags=re.MULTILINE)) == 1:
        moved = sum((t.data["amount"].amount for t in read), Decimal("0"))
        if opening.amount.amount + moved != closing.amount.amount:
            raise StatementError([(1, _("The MT940 balances do not add up (opening %(opening)s + lines %(moved)s ≠ closing "
                                        "%(closing)s): the file is damaged.") % {
                "opening": opening.amount.amount, "moved": moved, "closing": closing.amount.amount})])
    errors, lines = [], []
    for number, item in enumerate(read, start=1):
        values = item.data
        problems = []
        currency = (values.get("currency") or "").upper()
        if currency not in CURRENCIES:
            problems.append(_("“%(value)s” is not a known currency code") % {"value": currency})
        amount = abs(values["amount"].amount) if values.get("amount") is not None else None
        if amount is None:
            problems.append(_("no amount"))
        else:
            _check_amount(amount, currency, problems)
        date = values.get("date")
        details = values.get("transaction_details") or ""
        eref = _MT940_EREF.search(details)
        customer = (values.get("customer_reference") or "").strip()
        reference = (
            (customer if customer and customer.upper() != "NONREF" else "")
            or (eref.group(1).strip() if eref else "") or (values.get("bank_reference") or "").strip()
        )
        if not reference:
            problems.append(_("the reference is empty"))
        if problems:
            errors.append((number, _("transaction %(number)s: %(problems)s.") % {"number": number, "problems": "; ".join(problems)}))
        else:
            lines.append((number, datetime.date(date.year, date.month, date.day), amount, currency, " ".join(reference.split())[:100]))
    if errors:
        raise StatementError(errors)
    statement_id = "/".join(filter(None, [data.get("transaction_reference") or "", data.get("statement_number") or "",
                                          data.get("sequence_number") or ""]))
    return ParsedStatement(lines, statement_id=statement_id, account=data.get("account_identification") or "")


def statement_format_of(raw, filename=""):
    """Which kind of statement a file is, from its first characters (and its name)."""
    head = (raw[:2048].decode("utf-8", "ignore") if isinstance(raw, bytes) else raw[:2048]).lstrip("\ufeff \r\n\t")
    if head.startswith("<") or filename.lower().endswith(".xml"):
        return Format.CAMT053
    if re.search(r"^:20:", head, flags=re.MULTILINE) or filename.lower().endswith((".sta", ".mt940", ".940")):
        return Format.MT940
    return Format.CSV


def statement_parse(*, raw, format, mapping=None):
    """Read a whole statement, or raise StatementError saying every problem found."""
    if format == Format.CAMT053:
        return _parse_camt053(raw)
    if format == Format.MT940:
        return _parse_mt940(raw)
    if mapping is not None:
        return _parse_mapped_csv(raw, mapping)
    return _parse_own_csv(raw)
