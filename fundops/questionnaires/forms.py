"""The form an applicant (or grantee) fills in for a questionnaire: one field per question.

Every problem is reported at once. A conditional question (show_if_key/show_if_value) is checked,
and required, only when its condition holds on the submitted answers; an answer to a question
that is not shown is dropped. Files are checked with the upload rules (fundops.uploads) but not
stored here: the caller stores them and puts the stored file into the answer (see new_files()).
"""
import threading
from collections import OrderedDict
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from fundops.forms import LONG_TEXT_MAX, DecimalTextField, MoneyField
from fundops.money import minor_units
from fundops.uploads import ALLOWED_DESCRIPTION, ALLOWED_EXTENSIONS, check_upload

from .models import Question

Kind = Question.Kind

SHORT_TEXT_MAX = 500  # a short text answer with no limit of its own
YES, NO = "yes", "no"
YES_NO_CHOICES = [(YES, gettext_lazy("Yes")), (NO, gettext_lazy("No"))]
_FILE_ACCEPT = ",".join(ALLOWED_EXTENSIONS)


def questions_of(questionnaire):
    """The questionnaire's questions in order, read once per questionnaire object (prefetched ones are used)."""
    cached = getattr(questionnaire, "_question_list", None)
    if cached is None:
        prefetched = getattr(questionnaire, "_prefetched_objects_cache", {}).get("questions")
        if prefetched is not None:
            cached = sorted(prefetched, key=lambda q: (q.order, q.pk))
        else:
            cached = list(questionnaire.questions.order_by("order", "id"))
        questionnaire._question_list = cached
    return cached


def count_words(text):
    """Words as a reader counts them: runs of characters between spaces."""
    return len((text or "").split())


def _word_limit_validator(limit):
    def validate(value):
        words = count_words(value)
        if words > limit:
            raise ValidationError(
                _("This answer has %(words)s words; it may have %(limit)s at most.") % {"words": words, "limit": limit},
                code="word_limit",
            )

    return validate


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class QuestionFileField(forms.FileField):
    """A file answer, checked with the upload rules (size, and content matching its name)."""

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded and uploaded is not initial and hasattr(uploaded, "size"):
            check_upload(uploaded)
        return uploaded


def _bounds(question):
    return {"min_value": question.min_value, "max_value": question.max_value}


def field_for(question):
    """The form field asking one question (None for a section heading)."""
    common = {"label": question.label, "help_text": question.help_text, "required": False}
    kind = question.kind
    if kind == Kind.HEADING:
        return None
    if kind == Kind.SHORT_TEXT:
        return forms.CharField(max_length=question.max_length or SHORT_TEXT_MAX, **common)
    if kind == Kind.LONG_TEXT:
        field = forms.CharField(
            max_length=question.max_length or LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}), **common
        )
        if question.word_limit:
            field.validators.append(_word_limit_validator(question.word_limit))
            field.widget.attrs["data-word-limit"] = str(question.word_limit)
        return field
    if kind == Kind.NUMBER:
        return DecimalTextField(**_bounds(question), **common)
    if kind == Kind.MONEY:
        field = MoneyField(
            min_value=question.min_value if question.min_value is not None else 0,
            max_value=question.max_value,
            decimal_places=minor_units(question.currency) if question.currency else 2,
            **common,
        )
        field.currency = question.currency
        return field
    if kind == Kind.DATE:
        return forms.DateField(widget=DateInput(), **common)
    if kind == Kind.SINGLE_CHOICE:
        return forms.ChoiceField(choices=[(c, c) for c in question.choices], widget=forms.RadioSelect, **common)
    if kind == Kind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in question.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Kind.COUNTRY:
        return forms.ChoiceField(choices=[("", "—")] + list(countries), **common)
    if kind == Kind.FILE:
        return QuestionFileField(
            widget=forms.FileInput(attrs={"accept": _FILE_ACCEPT}),
            help_text=" ".join(
                part for part in (question.help_text, _("%(types)s; at most 10 MB.") % {"types": ALLOWED_DESCRIPTION})
                if part
            ),
            label=question.label, required=False,
        )
    if kind == Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO_CHOICES, widget=forms.RadioSelect, **common)
    raise ValueError(f"Unknown kind of question: {kind}")


def is_empty(value):
    return value in (None, "", [], ()) or (isinstance(value, str) and not value.strip())


def condition_holds(question, answer_of):
    """True when `question` is shown: it has no condition, or the answer it depends on equals the value.

    `answer_of(key)` returns the (raw or stored) answer to another question; a multiple-choice
    answer holds the value when the value is among its choices.
    """
    if not question.show_if_key:
        return True
    answer = answer_of(question.show_if_key)
    wanted = (question.show_if_value or "").strip().casefold()
    if isinstance(answer, (list, tuple)):
        return any(str(item).strip().casefold() == wanted for item in answer)
    return answer is not None and str(answer).strip().casefold() == wanted


def shown_keys(questions, answer_of):
    """Keys of the questions shown for these answers. A question depending on one that is not shown
    is not shown either (conditions chain)."""
    by_key = {q.key: q for q in questions}
    shown = {}

    def is_shown(question, seen=()):
        if question.key in shown:
            return shown[question.key]
        if question.key in seen:  # a loop of conditions: show it rather than hide an answer forever
            return True
        result = condition_holds(question, answer_of)
        parent = by_key.get(question.show_if_key)
        if result and parent is not None:
            result = is_shown(parent, seen + (question.key,))
        shown[question.key] = result
        return result

    return {q.key for q in questions if is_shown(q)}


class AnswersForm(forms.Form):
    """Base of every questionnaire's form; the class made for one questionnaire sets `questions`."""

    questions: list = []
    questionnaire_id = None
    require_answers = True  # False while drafting: what is missing is reported on submit instead

    use_required_attribute = False

    def _raw_answer(self, key):
        field = self.fields.get(key)
        if field is None:
            return None
        return field.widget.value_from_datadict(self.data, self.files, self.add_prefix(key))

    def shown(self):
        """Keys of the questions shown for the submitted answers (all of them on an unbound form)."""
        if not self.is_bound:
            return {q.key for q in self.questions}
        if not hasattr(self, "_shown"):
            self._shown = shown_keys(self.questions, self._raw_answer)
        return self._shown

    def _clean_fields(self):
        shown = self.shown()
        hidden = {key for key in self.fields if key not in shown}
        # A question not shown is neither checked nor kept: take its field out while cleaning.
        removed = {key: self.fields.pop(key) for key in hidden}
        try:
            super()._clean_fields()
        finally:
            self.fields.update(removed)
            self.fields = OrderedDict((q.key, self.fields[q.key]) for q in self.questions if q.key in self.fields)
        for key in hidden:
            self.cleaned_data[key] = None

    def clean(self):
        cleaned = super().clean()
        shown = self.shown()
        for question in self.questions:
            if not self.require_answers:
                break
            if question.kind == Kind.HEADING or not question.required or question.key not in shown:
                continue
            if question.key in self.errors:
                continue
            value = cleaned.get(question.key)
            if question.kind == Kind.FILE and not _is_upload(value) and self.initial.get(question.key):
                continue  # a file uploaded earlier still answers it
            if is_empty(value):
                self.add_error(question.key, ValidationError(_("Please answer this question."), code="required"))
        return cleaned

    def rows(self):
        """What a template walks through: (question, bound field or None for a heading, note or "")."""
        labels = {q.key: q.label for q in self.questions}
        result = []
        for question in self.questions:
            note = condition_note(question, labels)
            bound = None if question.kind == Kind.HEADING else self[question.key]
            row = QuestionRow(question, bound, note, self.initial.get(question.key))
            row.html_name = self.add_prefix(question.key)
            row.show_if_name = self.add_prefix(question.show_if_key) if question.show_if_key else ""
            result.append(row)
        return result

    def cleaned_answers(self):
        """The answers to store: JSON-safe (Decimal as text, dates ISO), only shown and non-empty ones.

        New files are not here (see new_files()); a file answered earlier is kept while its question is shown.
        """
        shown = self.shown()
        answers = {}
        for question in self.questions:
            key = question.key
            if question.kind == Kind.HEADING or key not in shown:
                continue
            if question.kind == Kind.FILE:
                if self.initial.get(key) and not _is_upload(self.cleaned_data.get(key)):
                    answers[key] = self.initial[key]
                continue
            value = self.cleaned_data.get(key)
            if is_empty(value):
                continue
            answers[key] = to_json(value)
        return answers

    def new_files(self):
        """{question key: uploaded file} for file questions answered with a new upload that passed its checks."""
        shown = self.shown()
        return {
            q.key: self.cleaned_data[q.key]
            for q in self.questions
            if q.kind == Kind.FILE and q.key in shown and _is_upload(self.cleaned_data.get(q.key))
        }

    def checked_files(self):
        """Like new_files(), for a form that has errors elsewhere: the uploads that passed their own checks
        (kept with the draft so the applicant does not have to choose them again)."""
        if not hasattr(self, "cleaned_data"):
            return {}
        return {key: upload for key, upload in self.new_files().items() if key not in self.errors}


def condition_note(question, labels):
    """'Only if “<label>” is “<value>”.' for a conditional question ("" otherwise); labels: {key: label}."""
    if not question.show_if_key:
        return ""
    return _("Only if “%(label)s” is “%(value)s”.") % {
        "label": labels.get(question.show_if_key, question.show_if_key),
        "value": _display_condition_value(question.show_if_value),
    }


def _is_upload(value):
    return hasattr(value, "read") and hasattr(value, "size")


def _display_condition_value(value):
    return {YES: _("Yes"), NO: _("No")}.get((value or "").strip().casefold(), value)


class QuestionRow:
    def __init__(self, question, field, note, current):
        self.question = question
        self.field = field
        self.note = note
        self.current = current  # the stored answer (for a file: {"attachment": id, "name": ...})

    @property
    def is_heading(self):
        return self.question.kind == Kind.HEADING

    @property
    def is_file(self):
        return self.question.kind == Kind.FILE


def to_json(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return str(value).strip() if isinstance(value, str) else value


_CACHE_SIZE = 256
_cache: "OrderedDict[tuple, type]" = OrderedDict()
_cache_lock = threading.Lock()


def _signature(question):
    return (
        question.pk, question.key, question.order, question.kind, question.label, question.help_text,
        question.required, tuple(question.choices or ()), question.min_value, question.max_value,
        question.max_length, question.word_limit, question.show_if_key, question.show_if_value, question.currency,
    )


def answers_form_class(questionnaire):
    """The form class of this questionnaire, cached per questionnaire id and version (and its
    questions, so an unfrozen form edited in place gets a fresh class)."""
    questions = questions_of(questionnaire)
    key = (questionnaire.pk, questionnaire.version, tuple(_signature(q) for q in questions))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    attrs = {"questions": list(questions), "questionnaire_id": questionnaire.pk}
    for question in questions:
        field = field_for(question)
        if field is not None:
            attrs[question.key] = field
    form_class = type(f"AnswersForm{questionnaire.pk}v{questionnaire.version}", (AnswersForm,), attrs)
    with _cache_lock:
        _cache[key] = form_class
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return form_class


def answers_form(questionnaire, *, data=None, files=None, initial=None, prefix=None, require=True):
    """The bound (or unbound) form for a questionnaire; `initial` is the stored answers.

    require=False checks everything but leaves unanswered required questions alone (saving a draft)."""
    form = answers_form_class(questionnaire)(data=data, files=files, initial=dict(initial or {}), prefix=prefix)
    form.require_answers = require
    return form
