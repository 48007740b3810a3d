"""Every write about rubrics: a fund's or a call's rubric, its criteria, new versions and copies.

The rule that protects old scores: a rubric version cannot change once anyone has scored against
it (a Score row exists for one of its criteria, or it was frozen at the first score). Every change
below checks it under a row lock on the rubric, the same lock a reviewer's first score takes, so an
edit and a first score cannot cross. A change to a scored rubric is made on a new version
(`rubric_new_version`), which new reviews use; reviews already begun keep theirs. Each change
writes an audit row on the rubric.
"""
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Criterion, Rubric, Score
from ..selectors import rubric_current
from ._common import _audit_created, _require_officer


class RubricFrozen(ValidationError):
    """The rubric has been scored against: make a new version to change it."""


def rubric_is_scored(rubric):
    return rubric.frozen_at is not None or Score.objects.filter(criterion__rubric=rubric).exists()


def _locked(rubric):
    return Rubric.objects.select_for_update(of=("self",)).select_related("fund", "call").get(pk=rubric.pk)


def rubric_refuse_if_scored(rubric):
    """Raises RubricFrozen (with the message to show) when the rubric has been scored against."""
    if rubric_is_scored(rubric):
        raise RubricFrozen(_(
            "Reviews have already been scored against this rubric (version %(version)s), so it cannot change. "
            "Make a new version: new reviews will use it, and the scores already given stay with this one."
        ) % {"version": rubric.version})


def _audit(rubric, *, by, action, note=""):
    _audit_created(rubric, by=by, transition=action, to_state=f"v{rubric.version}", note=note)


def _check_mode(fund, mode):
    if mode not in Rubric.Mode.values:
        raise ValidationError({"mode": [_("Choose scoring or panel vote.")]})
    if mode == Rubric.Mode.PANEL_VOTE and not fund.is_rapid_response:
        raise ValidationError({"mode": [_("Only a rapid-response fund can decide by panel vote.")]})


def _next_version(*, fund, call):
    rubrics = Rubric.objects.filter(call=call) if call is not None else Rubric.objects.filter(fund=fund, call=None)
    return (rubrics.aggregate(v=Max("version"))["v"] or 0) + 1


def _criterion_values(*, title, max_score, weight, guidance):
    """Cleaned criterion fields, every problem reported at once."""
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the criterion a title.")]
    try:
        max_score = int(max_score)
        if max_score < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["max_score"] = [_("The maximum score must be a whole number, at least 1.")]
    try:
        weight = Decimal(str(weight))
        if not weight.is_finite() or weight <= 0 or weight >= Decimal("10000"):
            raise InvalidOperation
        weight = weight.quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        errors["weight"] = [_("The weight must be a number more than 0 (for example 1 or 2.5).")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "max_score": max_score, "weight": weight, "guidance": (guidance or "").strip()}


def _renumber(rubric):
    for order, criterion in enumerate(rubric.criteria.order_by("order", "id"), start=1):
        if criterion.order != order:
            Criterion.objects.filter(pk=criterion.pk).update(order=order)


@transaction.atomic
def rubric_create(*, fund, by, call=None, mode=Rubric.Mode.SCORING, instructions=""):
    """A new, empty rubric for the fund (or one of its calls), as the next version there."""
    _require_officer(by)
    if call is not None and call.fund_id != fund.pk:
        raise ValidationError(_("The call belongs to another fund."))
    _check_mode(fund, mode)
    current = rubric_current(fund=fund, call=call)
    rubric = Rubric.objects.create(
        fund=fund, call=call, version=_next_version(fund=fund, call=call), previous=current,
        mode=mode, instructions=(instructions or "").strip(), created_by=by,
    )
    _audit(rubric, by=by, action="rubric_create", note=_("rubric created"))
    return rubric


@transaction.atomic
def rubric_update(*, rubric, by, mode=None, instructions=None):
    """Change how a rubric judges (mode) or what reviewers read first (instructions)."""
    _require_officer(by)
    rubric = _locked(rubric)
    mode = rubric.mode if mode is None else mode
    instructions = rubric.instructions if instructions is None else instructions.strip()
    if mode == rubric.mode and instructions == rubric.instructions:
        return rubric
    rubric_refuse_if_scored(rubric)
    _check_mode(rubric.fund, mode)
    changes = []
    if mode != rubric.mode:
        changes.append(_("mode: %(old)s → %(new)s") % {"old": rubric.mode, "new": mode})
    if instructions != rubric.instructions:
        changes.append(_("instructions changed"))
    rubric.mode, rubric.instructions = mode, instructions
    rubric.save(update_fields=["mode", "instructions", "updated_at"])
    _audit(rubric, by=by, action="rubric_update", note="; ".join(changes))
    return rubric


@transaction.atomic
def rubric_set(*, fund, by, mode=Rubric.Mode.SCORING, instructions=""):
    """The fund's own rubric with this mode and instructions: created when it has none, else its
    current version updated (refused once scored, unless nothing changes)."""
    _require_officer(by)
    current = rubric_current(fund=fund)
    if current is None:
        return rubric_create(fund=fund, by=by, mode=mode, instructions=instructions)
    return rubric_update(rubric=current, by=by, mode=mode, instructions=instructions)


@transaction.atomic
def criterion_add(*, rubric, by, title, max_score, weight, guidance="", order=None):
    _require_officer(by)
    values = _criterion_values(title=title, max_score=max_score, weight=weight, guidance=guidance)
    rubric = _locked(rubric)
    rubric_refuse_if_scored(rubric)
    if order is None:
        order = (rubric.criteria.aggregate(o=Max("order"))["o"] or 0) + 1
    criterion = Criterion.objects.create(rubric=rubric, order=order, **values)
    _audit(rubric, by=by, action="criterion_add", note=_("added “%(title)s”") % {"title": criterion.title})
    return criterion


@transaction.atomic
def criterion_update(*, criterion, by, title, max_score, weight, guidance=""):
    _require_officer(by)
    values = _criterion_values(title=title, max_score=max_score, weight=weight, guidance=guidance)
    rubric = _locked(criterion.rubric)
    rubric_refuse_if_scored(rubric)
    criterion = Criterion.objects.get(pk=criterion.pk, rubric=rubric)
    before = criterion.title
    for field, value in values.items():
        setattr(criterion, field, value)
    criterion.save()
    _audit(rubric, by=by, action="criterion_update", note=_("changed “%(title)s”") % {"title": before})
    return criterion


@transaction.atomic
def criterion_remove(*, criterion, by):
    _require_officer(by)
    rubric = _locked(criterion.rubric)
    rubric_refuse_if_scored(rubric)
    criterion = Criterion.objects.get(pk=criterion.pk, rubric=rubric)
    title = criterion.title
    criterion.delete()
    _renumber(rubric)
    _audit(rubric, by=by, action="criterion_remove", note=_("removed “%(title)s”") % {"title": title})
    return rubric


@transaction.atomic
def criterion_move(*, criterion, by, up):
    """Move a criterion one place up or down (the order reviewers score them in)."""
    _require_officer(by)
    rubric = _locked(criterion.rubric)
    rubric_refuse_if_scored(rubric)
    _renumber(rubric)
    criteria = list(rubric.criteria.order_by("order", "id"))
    index = next(i for i, c in enumerate(criteria) if c.pk == criterion.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(criteria):
        return rubric
    mover, neighbour = criteria[index], criteria[other]
    Criterion.objects.filter(pk=mover.pk).update(order=neighbour.order)
    Criterion.objects.filter(pk=neighbour.pk).update(order=mover.order)
    _audit(rubric, by=by, action="criterion_move",
           note=(_("moved “%(title)s” up") if up else _("moved “%(title)s” down")) % {"title": mover.title})
    return rubric


def _copy(rubric, *, fund, call, by, previous):
    copy = Rubric.objects.create(
        fund=fund, call=call, version=_next_version(fund=fund, call=call), previous=previous,
        mode=rubric.mode, instructions=rubric.instructions, created_by=by,
    )
    Criterion.objects.bulk_create([
        Criterion(rubric=copy, title=c.title, guidance=c.guidance, max_score=c.max_score, weight=c.weight, order=order)
        for order, c in enumerate(rubric.criteria.order_by("order", "id"), start=1)
    ])
    return copy


@transaction.atomic
def rubric_new_version(*, rubric, by):
    """Copy a scored rubric to the next version, which new reviews use from now on; reviews
    already begun keep the version they were scored against."""
    _require_officer(by)
    rubric = _locked(rubric)
    current = rubric_current(fund=rubric.fund, call=rubric.call)
    if current.pk != rubric.pk:
        raise ValidationError(_("Version %(version)s is already the current one: change that instead.")
                              % {"version": current.version})
    if not rubric_is_scored(rubric):
        raise ValidationError(_("No one has scored against this version yet: change it directly."))
    copy = _copy(rubric, fund=rubric.fund, call=rubric.call, by=by, previous=rubric)
    _audit(copy, by=by, action="rubric_new_version",
           note=_("copied from version %(version)s, which was scored against") % {"version": rubric.version})
    return copy


@transaction.atomic
def rubric_copy(*, rubric, call, by):
    """The rubric's mode, instructions and criteria copied for a call (a new round), unfrozen:
    the call's next version, so a call that had a rubric keeps the old one readable."""
    _require_officer(by)
    copy = _copy(rubric, fund=call.fund, call=call, by=by, previous=rubric_current(fund=call.fund, call=call))
    _audit(copy, by=by, action="rubric_copy",
           note=_("copied from %(rubric)s for the call %(call)s") % {"rubric": rubric, "call": call.name})
    return copy


def rubric_freeze(*, rubric):
    """Called under the rubric's row lock when the first score is saved against it."""
    if rubric.frozen_at is None:
        rubric.frozen_at = timezone.now()
        Rubric.objects.filter(pk=rubric.pk, frozen_at__isnull=True).update(frozen_at=rubric.frozen_at)
    return rubric
