"""Data exchange: importing a fund's history from CSV/XLSX (one engine for the command and the
admin) — organisations, donors, contributions, grants and payments. Formats: docs/data-formats.md.
"""
from .engine import IMPORTERS, ImportRefused, ImportReport, RowProblem, Sheet, import_sheet, read_sheet, run_import

__all__ = ["IMPORTERS", "ImportRefused", "ImportReport", "KINDS", "RowProblem", "Sheet", "import_sheet", "read_sheet", "run_import"]


def _register_kinds():
    from . import core, history  # noqa: F401  (history: grants and payments, through the awards services)


_register_kinds()
KINDS = list(IMPORTERS)
