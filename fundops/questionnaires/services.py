"""Every write on a questionnaire: creating it, adding, changing, removing and moving questions,
copying it for a new call, and freezing it when the first answers are submitted.

A frozen version is never changed: a change to it is made on a new version (previous = the old
one), and the calls and funds that used the old version are pointed at the new one. Answers
already given keep pointing at the version they answered. Each write leaves an audit row.
"""
import re
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundops import roles
from fundops.models import AuditEntry, Call, Fund
from fundops.money import CURRENCIES, MoneyError, parse_typed_decimal

from .forms import NO, YES
from .models import Question, Questionnaire

Kind = Question.Kind

QUESTION_FIELDS = [
    "key", "kind", "label", "help_text", "required", "choices", "min_value", "max_value", "max_length",
    "word_limit", "show_if_key", "show_if_value", "currency",
]
CHOICE_KINDS = {Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE}
LIMIT_KINDS = {Kind.NUMBER, Kind.MONEY}
TEXT_KINDS = {Kind.SHORT_TEXT, Kind.LONG_TEXT}
# Conditions read a single value: yes/no, one of the choices, or one of several choices.
CONDITION_KINDS = {Kind.YES_NO, Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE, Kind.SHORT_TEXT, Kind.COUNTRY}
MAX_LENGTH_LIMIT = {Kind.SHORT_TEXT: 2000, Kind.LONG_TEXT: 50000}
_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")

NEW_VERSION_NOTICE = gettext_lazy("Applications already submitted keep the version they answered.")


# Helpers --------------------------------------------------------------------------------


def _check_may_edit(by):
    # by=None: the demo or a command-line task acting for the fund.
    if by is not None and not roles.is_program_officer(by):
        raise PermissionDenied(_("Only program officers and administrators may change a fund's forms."))


def _audit(questionnaire, transition, *, by, note="", from_state=None, to_state=None):
    state = f"v{questionnaire.version}" + (" frozen" if questionnaire.is_frozen else "")
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Questionnaire), object_id=questionnaire.pk, actor=by,
        transition=transition, from_state=from_state or state, to_state=to_state or state, note=note[:5000],
    )


def _lines(value):
    """Choices typed one per line (or given as a list): stripped, without blanks or repeats."""
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen, result = set(), []
    for item in items:
        text = str(item).strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def _decimal_or_none(value, field, errors):
    if value in (None, ""):
        return None
    try:
        number = parse_typed_decimal(value) if not isinstance(value, Decimal) else value
    except MoneyError as error:
        errors.setdefault(field, []).append(str(error))
        return None
    if abs(number) >= Decimal("1e16"):
        errors.setdefault(field, []).append(_("This number is too large."))
        return None
    return number


def _int_or_none(value, field, errors):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Write a whole number."))
        return None
    if number <= 0:
        errors.setdefault(field, []).append(_("Write a number more than zero."))
        return None
    return number


def key_from_label(label, taken):
    """A stable key for a new question: its label in lowercase letters and underscores, made unique."""
    base = slugify(label or "").replace("-", "_")[:40].strip("_") or "question"
    if not base[0].isalpha():
        base = f"q_{base}"[:40]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _clean_fields(questionnaire, fields, *, question=None, siblings):
    """The question's fields, normalised; every problem at once as a ValidationError keyed by field."""
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationError(_("These are not question fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    current = {name: getattr(question, name) for name in QUESTION_FIELDS} if question else {}
    data = {**current, **fields}
    errors = {}

    kind = data.get("kind") or ""
    if kind not in Kind.values:
        errors["kind"] = [_("Choose what kind of question this is.")]
    label = (data.get("label") or "").strip()
    if not label:
        errors["label"] = [_("Write the question (or the heading).")]
    elif len(label) > 300:
        errors["label"] = [_("Keep the question under 300 characters; put the rest in the help text.")]
    cleaned = {
        "kind": kind, "label": label, "help_text": (data.get("help_text") or "").strip(),
        "required": bool(data.get("required")) and kind != Kind.HEADING,
    }

    other_keys = {q.key for q in siblings if question is None or q.pk != question.pk}
    key = (data.get("key") or "").strip()
    if question is not None:
        key = question.key  # a key never changes: stored answers are found by it
    elif not key:
        key = key_from_label(label, other_keys)
    elif not _KEY.fullmatch(key):
        errors["key"] = [_("A key is lowercase letters, digits and underscores, starting with a letter.")]
    elif key in other_keys:
        errors["key"] = [_("Another question of this form already has the key “%(key)s”.") % {"key": key}]
    cleaned["key"] = key

    choices = _lines(data.get("choices"))
    if kind in CHOICE_KINDS:
        if len(choices) < 2:
            errors["choices"] = [_("Give at least two choices, one per line.")]
        elif any(len(choice) > 200 for choice in choices):
            errors["choices"] = [_("Keep each choice under 200 characters.")]
        cleaned["choices"] = choices
    else:
        cleaned["choices"] = []

    if kind in LIMIT_KINDS:
        low = _decimal_or_none(data.get("min_value"), "min_value", errors)
        high = _decimal_or_none(data.get("max_value"), "max_value", errors)
        if kind == Kind.MONEY and low is not None and low < 0:
            errors.setdefault("min_value", []).append(_("An amount of money cannot be below zero."))
        if low is not None and high is not None and high < low:
            errors.setdefault("max_value", []).append(_("The largest answer must not be below the smallest."))
        cleaned["min_value"], cleaned["max_value"] = low, high
    else:
        cleaned["min_value"] = cleaned["max_value"] = None

    if kind in TEXT_KINDS:
        max_length = _int_or_none(data.get("max_length"), "max_length", errors)
        if max_length and max_length > MAX_LENGTH_LIMIT[kind]:
            errors.setdefault("max_length", []).append(
                _("At most %(limit)s characters.") % {"limit": f"{MAX_LENGTH_LIMIT[kind]:,}"}
            )
        cleaned["max_length"] = max_length
    else:
        cleaned["max_length"] = None
    cleaned["word_limit"] = _int_or_none(data.get("word_limit"), "word_limit", errors) if kind == Kind.LONG_TEXT else None

    if kind == Kind.MONEY:
        currency = (data.get("currency") or "").strip().upper() or questionnaire.fund.base_currency
        if currency not in CURRENCIES:
            errors["currency"] = [_("Choose a currency.")]
        cleaned["currency"] = currency
    else:
        cleaned["currency"] = ""

    show_if_key = (data.get("show_if_key") or "").strip()
    show_if_value = (data.get("show_if_value") or "").strip()
    if show_if_key:
        parent = next((q for q in siblings if q.key == show_if_key and (question is None or q.pk != question.pk)), None)
        if parent is None:
            errors["show_if_key"] = [_("Choose a question of this form to depend on.")]
        elif parent.kind not in CONDITION_KINDS:
            errors["show_if_key"] = [_("A question can depend only on a yes/no, choice, country or short text question.")]
        elif not show_if_value:
            errors["show_if_value"] = [_("Say which answer shows this question.")]
        elif parent.kind == Kind.YES_NO:
            normalised = {"yes": YES, "no": NO, _("Yes").casefold(): YES, _("No").casefold(): NO}.get(
                show_if_value.casefold()
            )
            if normalised is None:
                errors["show_if_value"] = [_("“%(label)s” is answered Yes or No.") % {"label": parent.label}]
            show_if_value = normalised or show_if_value
        elif parent.kind in CHOICE_KINDS:
            match = next((c for c in parent.choices if c.casefold() == show_if_value.casefold()), None)
            if match is None:
                errors["show_if_value"] = [
                    _("Choose one of the choices of “%(label)s”: %(choices)s.")
                    % {"label": parent.label, "choices": "; ".join(parent.choices)}
                ]
            show_if_value = match or show_if_value
        elif parent.kind == Kind.COUNTRY:
            show_if_value = show_if_value.upper()
    else:
        show_if_value = ""
    cleaned["show_if_key"], cleaned["show_if_value"] = show_if_key, show_if_value

    if errors:
        raise ValidationError(errors)
    return cleaned


def _possible(cleaned, value):
    """Can an answer to a question with these settings equal `value` (a condition another depends on)?"""
    if cleaned["kind"] not in CONDITION_KINDS:
        return False
    if cleaned["kind"] == Kind.YES_NO:
        return value in (YES, NO)
    if cleaned["kind"] in CHOICE_KINDS:
        return any(choice.casefold() == value.casefold() for choice in cleaned["choices"])
    return True


def _check_dependants_still_hold(cleaned, dependants):
    """A change may not strand a question that is shown only for an answer this one can no longer give."""
    stranded = [q for q in dependants if not _possible(cleaned, q.show_if_value)]
    if stranded:
        field = "choices" if cleaned["kind"] in CHOICE_KINDS else "kind"
        raise ValidationError({field: _("“%(label)s” is shown only when this question is answered “%(value)s”; "
                                        "change that question first.")
                               % {"label": stranded[0].label, "value": stranded[0].show_if_value}})


def _describe(cleaned, before=None):
    """What changed, for the audit note: 'label: “A” → “B”; required: no → yes'."""
    if before is None:
        return f"{cleaned['kind']} “{cleaned['label']}” ({cleaned['key']})"
    changes = []
    for name, value in cleaned.items():
        old = getattr(before, name)
        if old != value:
            changes.append(f"{name}: {old!r} → {value!r}")
    return f"“{before.label}” ({before.key}): " + ("; ".join(changes) or "no change")


def _latest(questionnaire):
    """The newest version in this questionnaire's line (an editor page may be older than a change)."""
    while True:
        newer = questionnaire.next_versions.order_by("-version").first()
        if newer is None:
            return questionnaire
        questionnaire = newer


def _copy_questions(source, target):
    Question.objects.bulk_create(
        Question(
            questionnaire=target, key=q.key, order=q.order, kind=q.kind, label=q.label, help_text=q.help_text,
            required=q.required, choices=list(q.choices or []), min_value=q.min_value, max_value=q.max_value,
            max_length=q.max_length, word_limit=q.word_limit, show_if_key=q.show_if_key,
            show_if_value=q.show_if_value, currency=q.currency,
        )
        for q in source.questions.order_by("order", "id")
    )


def _editable(questionnaire, by):
    """The version changes go to: this one while unfrozen; once frozen, a new version (made once)."""
    questionnaire = _latest(Questionnaire.objects.select_for_update().get(pk=questionnaire.pk))
    questionnaire = Questionnaire.objects.select_for_update(of=("self",)).select_related("fund").get(pk=questionnaire.pk)
    if not questionnaire.is_frozen:
        return questionnaire
    new = Questionnaire.objects.create(
        fund=questionnaire.fund, purpose=questionnaire.purpose, title=questionnaire.title,
        version=questionnaire.version + 1, previous=questionnaire, created_by=by,
    )
    _copy_questions(questionnaire, new)
    # Calls and funds asking the old version now ask the new one; submitted answers keep the old.
    Call.objects.filter(application_form=questionnaire).update(application_form=new)
    Fund.objects.filter(application_form=questionnaire).update(application_form=new)
    _audit(
        new, "questionnaire_new_version", by=by, from_state=f"v{questionnaire.version} frozen",
        note=f"v{new.version} of “{new.title}” made from frozen v{questionnaire.version}. {NEW_VERSION_NOTICE}",
    )
    new.made_new_version = True
    return new


def _same_question_in(questionnaire, question):
    if question.questionnaire_id == questionnaire.pk:
        return Question.objects.get(pk=question.pk)
    same = questionnaire.questions.filter(key=question.key).first()
    if same is None:
        raise ValidationError(_("This question is no longer in the newest version of the form."))
    return same


def _renumber(questionnaire, ordered):
    for position, question in enumerate(ordered, start=1):
        if question.order != position * 10:
            question.order = position * 10
            question.save(update_fields=["order"])


# Services ---------------------------------------------------------------------------------


@transaction.atomic
def questionnaire_create(*, fund, purpose, title, by):
    _check_may_edit(by)
    title = (title or "").strip()
    if purpose not in Questionnaire.Purpose.values:
        raise ValidationError({"purpose": _("Choose what the form is for.")})
    if not title:
        raise ValidationError({"title": _("Give the form a title.")})
    questionnaire = Questionnaire(fund=fund, purpose=purpose, title=title[:200], created_by=by)
    questionnaire.full_clean()
    questionnaire.save()
    _audit(questionnaire, "questionnaire_create", by=by, from_state="-", note=f"“{title}” for {fund.name}")
    return questionnaire


@transaction.atomic
def questionnaire_rename(*, questionnaire, title, by):
    _check_may_edit(by)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the form a title.")})
    # The title is shown with the answers too, but it is not part of what was answered: renaming
    # a frozen version does not need a new one.
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    old = questionnaire.title
    questionnaire.title = title[:200]
    questionnaire.save(update_fields=["title"])
    _audit(questionnaire, "questionnaire_rename", by=by, note=f"“{old}” → “{questionnaire.title}”")
    return questionnaire


@transaction.atomic
def question_add(*, questionnaire, by, **fields):
    """Add a question at the end; returns (the questionnaire changed, the new question)."""
    _check_may_edit(by)
    questionnaire = _editable(questionnaire, by)
    siblings = list(questionnaire.questions.all())
    cleaned = _clean_fields(questionnaire, fields, siblings=siblings)
    last = questionnaire.questions.aggregate(last=Max("order"))["last"] or 0
    question = Question(questionnaire=questionnaire, order=last + 10, **cleaned)
    question.full_clean()
    question.save()
    _audit(questionnaire, "question_add", by=by, note=_describe(cleaned))
    return questionnaire, question


@transaction.atomic
def question_update(*, question, by, **fields):
    _check_may_edit(by)
    questionnaire = _editable(question.questionnaire, by)
    question = _same_question_in(questionnaire, question)
    siblings = list(questionnaire.questions.all())
    cleaned = _clean_fields(questionnaire, fields, question=question, siblings=siblings)
    _check_dependants_still_hold(cleaned, [q for q in siblings if q.show_if_key == question.key])
    note = _describe(cleaned, question)
    for name, value in cleaned.items():
        setattr(question, name, value)
    question.full_clean()
    question.save()
    _audit(questionnaire, "question_update", by=by, note=note)
    return questionnaire


@transaction.atomic
def question_remove(*, question, by):
    _check_may_edit(by)
    questionnaire = _editable(question.questionnaire, by)
    question = _same_question_in(questionnaire, question)
    dependants = list(questionnaire.questions.filter(show_if_key=question.key))
    if dependants:
        raise ValidationError(
            _("“%(label)s” is shown only depending on this question; change or remove it first.")
            % {"label": dependants[0].label}
        )
    note = f"“{question.label}” ({question.key})"
    question.delete()
    _audit(questionnaire, "question_remove", by=by, note=note)
    return questionnaire


@transaction.atomic
def question_move(*, question, by, up):
    _check_may_edit(by)
    questionnaire = _editable(question.questionnaire, by)
    question = _same_question_in(questionnaire, question)
    ordered = list(questionnaire.questions.order_by("order", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(questionnaire, ordered)
        _audit(questionnaire, "question_move", by=by,
               note=f"“{question.label}” ({question.key}) {'up' if up else 'down'} to place {other + 1}")
    return questionnaire


@transaction.atomic
def questionnaire_copy(*, questionnaire, by, fund=None):
    """A new, unfrozen version-1 copy of the form (for a new call or another fund)."""
    _check_may_edit(by)
    fund = fund or questionnaire.fund
    copy = Questionnaire.objects.create(
        fund=fund, purpose=questionnaire.purpose, title=questionnaire.title, version=1, created_by=by,
    )
    _copy_questions(questionnaire, copy)
    _audit(copy, "questionnaire_copy", by=by, from_state="-",
           note=f"copied from “{questionnaire.title}” v{questionnaire.version} (#{questionnaire.pk})")
    return copy


@transaction.atomic
def questionnaire_freeze(*, questionnaire, by=None):
    """Called when answers are first submitted against this version: from now on it never changes."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.is_frozen:
        return questionnaire
    questionnaire.frozen_at = timezone.now()
    questionnaire.save(update_fields=["frozen_at"])
    _audit(questionnaire, "questionnaire_freeze", by=by, from_state=f"v{questionnaire.version}",
           note=_("First answers submitted: later changes make a new version."))
    return questionnaire
