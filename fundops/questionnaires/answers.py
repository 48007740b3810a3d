"""Reading stored answers: the one place every page, export and PDF gets them from.

Answers are stored keyed by question key (Application.answers) next to the questionnaire version
they answered, so rows are always drawn with that version's own questions: changing a form for a
later call never changes how an older answer reads.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _
from django_countries import countries

from fundops.money import format_money

from .forms import NO, YES, questions_of, shown_keys
from .models import Question

Kind = Question.Kind


@dataclass(frozen=True)
class AnswerRow:
    key: str
    label: str
    kind: str
    value: object  # as stored (JSON): text, a list, {"attachment": id, "name": ...} for a file
    display: str  # the answer as a reader sees it; "" for a heading, "—" when unanswered

    @property
    def is_heading(self):
        return self.kind == Kind.HEADING

    @property
    def is_file(self):
        return self.kind == Kind.FILE and isinstance(self.value, dict)

    @property
    def attachment_id(self):
        return self.value.get("attachment") if self.is_file else None

    @property
    def is_long(self):
        return self.kind == Kind.LONG_TEXT


def display_answer(question, value):
    """One stored answer as text for a reader."""
    if value in (None, "", []):
        return "—"
    kind = question.kind
    if kind == Kind.YES_NO:
        return {YES: _("Yes"), NO: _("No")}.get(value, str(value))
    if kind == Kind.MULTIPLE_CHOICE:
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if kind == Kind.COUNTRY:
        return countries.name(value) or str(value)
    if kind == Kind.MONEY:
        try:
            return format_money(Decimal(str(value)), question.currency or "USD") if question.currency else str(value)
        except (InvalidOperation, ValueError):
            return str(value)
    if kind == Kind.DATE:
        try:
            return formats.date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if kind == Kind.FILE:
        return value.get("name", "") if isinstance(value, dict) else str(value)
    return str(value)


def rows_for(questions, answers):
    answers = answers or {}
    shown = shown_keys(questions, answers.get)
    rows = []
    for question in questions:
        if question.key not in shown:
            continue  # its condition did not hold: the applicant was never asked it
        if question.kind == Kind.HEADING:
            rows.append(AnswerRow(question.key, question.label, question.kind, None, ""))
            continue
        value = answers.get(question.key)
        rows.append(AnswerRow(question.key, question.label, question.kind, value, display_answer(question, value)))
    return rows


def answer_rows(questionnaire, answers):
    """The rows to show for `answers` given to `questionnaire` (no query beyond its questions, read once)."""
    if questionnaire is None:
        return []
    return rows_for(questions_of(questionnaire), answers)


def answers_for(objects):
    """{obj.pk: [AnswerRow]} for applications (or reports): one query for all their questionnaires' questions.

    Each object needs `questionnaire_id` and `answers`.
    """
    objects = list(objects)
    ids = {obj.questionnaire_id for obj in objects if obj.questionnaire_id}
    by_questionnaire = {qid: [] for qid in ids}
    if ids:
        for question in Question.objects.filter(questionnaire_id__in=ids).order_by("questionnaire_id", "order", "id"):
            by_questionnaire[question.questionnaire_id].append(question)
    return {
        obj.pk: rows_for(by_questionnaire[obj.questionnaire_id], obj.answers) if obj.questionnaire_id else []
        for obj in objects
    }
