"""Reading an import file safely: its limits are checked before anything is parsed, then CSV or
XLSX rows are read, and the apostrophe our exports put before formula-like text comes off again.

An upload is untrusted: a 700 KB workbook can unpack to millions of rows, an XML part can carry an
entity bomb, a renamed or damaged file must not end in a traceback. Everything here refuses with
a message the person importing can act on, and nothing is stored.
"""
import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from fundops.spreadsheets import safe_cell

from .results import ImportRefused, Sheet, file_problem

logger = logging.getLogger(__name__)

# Settings (with these defaults): FUNDOPS_IMPORT_MAX_BYTES, FUNDOPS_IMPORT_MAX_ROWS,
# FUNDOPS_IMPORT_MAX_UNPACKED_BYTES, FUNDOPS_IMPORT_MAX_COMPRESSION_RATIO.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# The widest file (grants) unpacks to ~470 bytes a row; 100,000 such rows fit well inside this.
DEFAULT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Real worksheets compress 5-20 times (measured on openpyxl and Excel files); a bomb, hundreds.
DEFAULT_MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024  # tiny parts (styles, themes) may compress well; they cannot blow up
MAX_PARTS = 1000  # a workbook has a few dozen parts
MAX_COLUMNS = 50  # the widest file has 13 columns; openpyxl pads rows up to the widest cell

ZIP_SIGNATURE = b"PK"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls, and password-protected .xlsx
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unpacked_bytes: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls):
        return cls(
            max_bytes=getattr(settings, "FUNDOPS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
            max_rows=getattr(settings, "FUNDOPS_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
            max_unpacked_bytes=getattr(settings, "FUNDOPS_IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES),
            max_compression_ratio=getattr(
                settings, "FUNDOPS_IMPORT_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO
            ),
        )


def _refuse(message):
    raise ImportRefused([file_problem(message)])


# Formula-like text: exports add an apostrophe, imports take exactly one off --------------------

# Text that starts with apostrophes and then a character a spreadsheet runs. Such text gets one
# more apostrophe on export, so "'=x" (typed by someone) leaves as "''=x" and comes back as "'=x";
# "'Quote org" matches nothing and passes both ways untouched.
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")


def export_cell(value):
    """The cell an export writes: formula-like text behind one apostrophe, numbers untouched."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return "'" + value
    return safe_cell(value)


def import_cell(value):
    """The value an import reads: the apostrophe `export_cell` added, taken off again."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value


# Checks before parsing ----------------------------------------------------------------------------


def check_file(data, filename, limits):
    """'xlsx' or 'csv' for a file within the limits; otherwise ImportRefused saying why."""
    if len(data) > limits.max_bytes:
        _refuse(_("The file is %(size)s; files of at most %(limit)s are imported. Split it into smaller files.")
                % {"size": filesizeformat(len(data)), "limit": filesizeformat(limits.max_bytes)})
    if data.startswith(OLE_SIGNATURE):
        _refuse(_("This is an Excel 97-2003 (.xls) or password-protected workbook, which cannot be read. "
                  "Remove the password and save it as .xlsx, or as CSV UTF-8."))
    if data.startswith(ZIP_SIGNATURE):
        _check_workbook(data, limits)
        return "xlsx"
    if Path(filename).suffix.lower() in XLSX_SUFFIXES:
        _refuse(_("The file is named %(name)s but is not an Excel workbook (an .xlsx file is a zip archive). "
                  "If it is CSV text, name it .csv; otherwise open it in Excel and save it as .xlsx again.")
                % {"name": Path(filename).name})
    return "csv"


def _damaged():
    return _("The file could not be read as an Excel workbook: it is damaged or not an .xlsx file. "
             "Open it in Excel and save it as .xlsx again, or save it as CSV UTF-8.")


def _check_workbook(data, limits):
    """Inspect the zip without extracting it: sizes, compression ratios, XML without DTDs, and
    the number of rows the first sheet declares."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(_damaged())
    if len(parts) > MAX_PARTS:
        _refuse(_damaged())
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        _refuse(_("The workbook unpacks to %(size)s; at most %(limit)s is imported. "
                  "Split it into smaller files, or save it as CSV.")
                % {"size": filesizeformat(unpacked), "limit": filesizeformat(limits.max_unpacked_bytes)})
    for part in parts:
        if part.file_size > RATIO_CHECKED_ABOVE and part.file_size > limits.max_compression_ratio * max(part.compress_size, 1):
            _refuse(_("The workbook is compressed %(ratio)d times (a normal workbook, about 10 to 20 times): it "
                      "holds far more, mostly empty, rows or cells than it shows. Copy only the rows with data "
                      "into a new workbook, or save it as CSV.")
                    % {"ratio": part.file_size // max(part.compress_size, 1)})
    try:
        for part in parts:
            if part.filename.endswith((".xml", ".rels")):
                _first_element(archive, part.filename)  # refuses any DTD: no entity bombs
        sheet = _first_sheet_part(archive)
        declared = _declared_size(archive, sheet) if sheet else None
    except (DefusedXmlException, ParseError, KeyError, zipfile.BadZipFile, NotImplementedError, RuntimeError,
            OSError, ValueError, EOFError):
        logger.info("Import refused: an unreadable or unsafe workbook", exc_info=True)
        _refuse(_damaged())
    if declared:
        rows, columns = declared
        if rows > limits.max_rows + 1:
            _refuse(_too_many_rows(rows - 1, limits))
        if columns > MAX_COLUMNS:
            _refuse(_("The sheet declares %(columns)d columns; import files have at most %(limit)d. "
                      "Copy only the columns with data into a new workbook, or save it as CSV.")
                    % {"columns": columns, "limit": MAX_COLUMNS})


def _too_many_rows(rows, limits):
    return _("The file has %(rows)s rows; at most %(limit)s are imported at once. Split it into smaller files "
             "(if most rows look empty, delete everything below the data and save again).") % {
        "rows": f"{rows:,}" if isinstance(rows, int) else rows, "limit": f"{limits.max_rows:,}"}


def _elements(archive, name, events=("start",)):
    with archive.open(name) as stream:
        yield from iterparse(stream, events=events, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def _first_element(archive, name):
    for _event, element in _elements(archive, name):
        return element
    return None


def _first_sheet_part(archive):
    """The zip path of the first worksheet (the one imported), as the workbook's relationships say."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None  # openpyxl will refuse it; nothing to measure
    relation = None
    for _event, element in _elements(archive, "xl/workbook.xml"):
        if element.tag == f"{_MAIN_NS}sheet":
            relation = element.get(f"{_REL_NS}id")
            break
    if relation is None:
        return None
    for _event, element in _elements(archive, "xl/_rels/workbook.xml.rels", events=("end",)):
        if element.tag == f"{_PKG_REL_NS}Relationship" and element.get("Id") == relation:
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            return path if path in names else None
    return None


def _declared_size(archive, sheet):
    """(rows, columns) from the sheet's <dimension ref="A1:M5000000"/>, if it has one."""
    for _event, element in _elements(archive, sheet):
        if element.tag == f"{_MAIN_NS}dimension":
            last = element.get("ref", "").split(":")[-1]
            match = _CELL_REF.match(last)
            if not match:
                return None
            return int(match.group(2)), _column_number(match.group(1))
        if element.tag == f"{_MAIN_NS}sheetData":
            return None  # the dimension comes before the data, or not at all
    return None


def _column_number(letters):
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


# Reading ------------------------------------------------------------------------------------------

_TEXT_BOMS = [
    (b"\xef\xbb\xbf", "utf-8", "UTF-8 with BOM"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
]


def _decode(data):
    """A byte-order mark says the encoding (UTF-8, or UTF-16 as Excel's "Unicode text" writes);
    otherwise UTF-8, then the Windows/Latin-1 text spreadsheets save."""
    for bom, codec, label in _TEXT_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), label
            except UnicodeDecodeError:
                _refuse(_("The file starts like %(encoding)s text but is not valid %(encoding)s. "
                          "Save it again as CSV UTF-8.") % {"encoding": label})
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 is Latin-1 plus the curly quotes and dashes Excel writes in 0x80-0x9F.
        return data.decode("cp1252"), "Latin-1 (Windows-1252)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (ISO-8859-1)"


def _is_blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_csv(data, limits):
    text, encoding = _decode(data)
    if "\x00" in text:
        _refuse(_("The file is not CSV text (it holds NUL bytes: a binary file, or UTF-16 text without its "
                  "byte-order mark). Save it as CSV UTF-8."))
    records = csv.reader(io.StringIO(text, newline=""))
    header, rows, number = None, [], 1
    try:
        header = next(records, None)
        for number, values in enumerate(records, start=2):
            if number > limits.max_rows + 1:
                _refuse(_too_many_rows(_("more than %(limit)s") % {"limit": f"{limits.max_rows:,}"}, limits))
            rows.append((number, values))
    except csv.Error as error:
        _refuse(_("Row %(row)d could not be read as CSV (%(error)s). Check its quotes, or save the file again "
                  "as CSV UTF-8.") % {"row": number + 1 if header is not None else 1, "error": error})
    return header, rows, encoding


def _read_xlsx(data, limits):
    from openpyxl import load_workbook

    header, rows, too_many = None, [], False
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                _refuse(_damaged())
            lines = workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
            header = next(lines, None)
            for number, values in enumerate(lines, start=2):
                if number > limits.max_rows + 1:
                    too_many = True  # the sheet declared no size, or a wrong one: stop reading here
                    break
                rows.append((number, list(values)))
        finally:
            workbook.close()
    except ImportRefused:
        raise
    except Exception:  # an untrusted file: whatever openpyxl trips on, the answer is the same
        logger.info("Import refused: openpyxl could not read the workbook", exc_info=True)
        _refuse(_damaged())
    if too_many:
        _refuse(_too_many_rows(_("more than %(limit)s") % {"limit": f"{limits.max_rows:,}"}, limits))
    for values in [header or ()] + [values for _number, values in rows]:
        if len(values) > MAX_COLUMNS and values[MAX_COLUMNS] is not None:
            _refuse(_("The sheet has cells beyond column %(limit)d; import files have at most %(limit)d columns. "
                      "Copy only the columns with data into a new workbook.") % {"limit": MAX_COLUMNS})
    return header, rows, "XLSX"


def read_sheet(data, filename="", *, limits=None):
    """Read CSV or XLSX bytes (an XLSX is recognised by its content, a zip archive) into a Sheet,
    or refuse the whole file with one clear message."""
    limits = limits or Limits.from_settings()
    kind = check_file(data, filename, limits)
    header, raw_rows, encoding = (_read_xlsx if kind == "xlsx" else _read_csv)(data, limits)
    headers = [_header_name(h) for h in (header or [])]
    while headers and not headers[-1]:
        headers.pop()  # spreadsheets often carry empty trailing header cells
    rows = []
    for number, values in raw_rows:
        if _is_blank(values):
            continue  # blank lines (typically at the end) are not rows
        values = [import_cell(value) for value in values]
        rows.append((number, {name: (values[i] if i < len(values) else None) for i, name in enumerate(headers)},
                     values[len(headers):]))
    return Sheet(headers=headers, rows=rows, encoding=encoding)


def _header_name(cell):
    return "" if cell is None else str(cell).strip().lstrip("\ufeff").lower()
