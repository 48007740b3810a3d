"""Data exchange: importing a fund's history from CSV/XLSX (one engine for the command and the
admin) — organisations, donors, contributions, grants and payments. Formats: docs/data-formats.md.
"""
from .engine import IMPORTERS, Progress, import_sheet, run_import
from .files import Limits, export_cell, import_cell, read_sheet
from .results import ImportRefused, ImportReport, RowProblem, Sheet

__all__ = [
    "IMPORTERS", "ImportRefused", "ImportReport", "KINDS", "Limits", "Progress", "RowProblem", "Sheet",
    "export_cell", "import_cell", "import_sheet", "read_sheet", "run_import",
]


def _register_kinds():
    from . import core, history  # noqa: F401  (history: grants and payments, through the awards services)


_register_kinds()
KINDS = list(IMPORTERS)
