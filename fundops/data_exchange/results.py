"""What an import says back: each problem with its place in the file, and the counts of a good run."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a file: where it is (as the user sees it) and what to do."""

    row: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        if self.row == 0:
            return self.message  # about the file as a whole: too big, not a workbook, …
        return f"row {self.row}: {self.message}"


def file_problem(message):
    """A problem with the whole file (row 0): it was not read at all."""
    return RowProblem(0, "", message)


class ImportRefused(Exception):
    """The file was not imported; `problems` says every reason, row by row."""

    def __init__(self, problems, report=None):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems
        self.report = report


@dataclass
class ImportReport:
    kind: str
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    dry_run: bool = False
    problems: list = field(default_factory=list)
    # (row number, "created" | "updated" | "skipped") for every written row, in file order.
    outcomes: list = field(default_factory=list)

    def count(self, number, outcome):
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes.append((number, outcome))

    @property
    def ok(self):
        return not self.problems

    def summary(self):
        verb = "would be" if self.dry_run else "were"
        head = f"{self.kind}: {self.rows} rows read"
        if self.encoding:
            head += f" ({self.encoding})"
        counts = f"{self.created} {verb} created, {self.updated} {verb} updated, {self.skipped} {verb} skipped (unchanged)"
        tail = " — dry run, nothing written." if self.dry_run else "."
        return f"{head}: {counts}{tail}"


@dataclass
class Sheet:
    """A file's header and its rows as (row number in the file, {column: raw cell}, overflow cells)."""

    headers: list
    rows: list
    encoding: str


