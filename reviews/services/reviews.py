"""Every write about a review: drafts, submission (scored against the rubric version the review
started on; the first score freezes that version) and a program officer's reopening."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from django.utils.translation import gettext as _

from ..models import Assignment, Recommendation, Review, Rubric, Score
from ..scoring import weighted_score
from ..selectors import IN_REVIEW_STATES, rubric_for_review
from ._common import _require_officer, _tell_if_ready, _transition
from .rubrics import rubric_freeze

# Scoring --------------------------------------------------------------------------------


def _own_open_assignment(assignment, by):
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__fund")
        .get(pk=assignment.pk)
    )
    if assignment.reviewer_id != getattr(by, "pk", None):
        raise PermissionDenied("Only the assigned reviewer can score this application.")
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ValidationError("You have already submitted this review. A program officer can reopen it if it must change.")
    if assignment.status != Assignment.Status.NO_CONFLICT:
        raise ValidationError(f"This assignment is {assignment.get_status_display().lower()}; it cannot be scored.")
    return assignment


def _rubric_locked(assignment, review):
    """The rubric this review is scored against, locked: a rubric edit takes the same lock, so a
    first score and a change to the rubric cannot cross."""
    rubric = rubric_for_review(assignment=assignment, review=review)
    if rubric is None:
        raise ValidationError(_("This fund has no rubric yet; a program officer must set one up before scoring."))
    if rubric.is_panel:
        raise ValidationError(_("This fund decides by panel vote; cast a vote instead of scoring."))
    return Rubric.objects.select_for_update().get(pk=rubric.pk)


def _clean_scores(criteria, scores):
    """scores: {criterion id: {"score": …, "comment": …}}. Returns cleaned values and errors per field."""
    cleaned, errors = {}, {}
    by_id = {c.pk: c for c in criteria}
    for key, entry in (scores or {}).items():
        criterion = by_id.get(int(key))
        if criterion is None:
            raise ValidationError("A score was given for a criterion that is not in this fund's rubric.")
        raw = entry.get("score")
        comment = (entry.get("comment") or "").strip()
        if raw in (None, ""):
            if comment:
                cleaned[criterion.pk] = (None, comment)
            continue
        try:
            value = int(str(raw).strip())
            if str(value) != str(raw).strip():
                raise ValueError
        except ValueError:
            errors[f"score_{criterion.pk}"] = [f"“{criterion.title}”: enter a whole number from 0 to {criterion.max_score}."]
            continue
        if not 0 <= value <= criterion.max_score:
            errors[f"score_{criterion.pk}"] = [
                f"“{criterion.title}”: a score must be between 0 and {criterion.max_score}; {value} is outside that range."
            ]
            continue
        cleaned[criterion.pk] = (value, comment)
    return cleaned, errors


def _save_draft(assignment, by, scores, recommendation, comment):
    review = Review.objects.select_for_update().filter(assignment=assignment).first()
    rubric = _rubric_locked(assignment, review)
    criteria = list(rubric.criteria.all())
    cleaned, errors = _clean_scores(criteria, scores)
    if recommendation not in (None, "") and recommendation not in Recommendation.values:
        errors["recommendation"] = [_("Choose fund, maybe or do not fund.")]
    if errors:
        raise ValidationError(errors)
    if review is None:
        review = Review(assignment=assignment)
    if review.status == Review.Status.SUBMITTED:
        raise ValidationError(_("You have already submitted this review. A program officer can reopen it if it must change."))
    review.rubric = rubric
    if recommendation is not None:
        review.recommendation = recommendation
    if comment is not None:
        review.comment = comment.strip()
    review.save()
    for criterion_id, (value, text) in cleaned.items():
        if value is None:
            Score.objects.filter(review=review, criterion_id=criterion_id).update(comment=text)
            continue
        Score.objects.update_or_create(review=review, criterion_id=criterion_id, defaults={"score": value, "comment": text})
        # Scored against: from now on this version cannot change (a new version can).
        rubric_freeze(rubric=rubric)
    return review, criteria


@transaction.atomic
def review_save_draft(*, assignment, by, scores=None, recommendation=None, comment=None):
    """Keep the reviewer's work so far; nothing is checked for completeness yet."""
    assignment = _own_open_assignment(assignment, by)
    review, _ = _save_draft(assignment, by, scores, recommendation, comment)
    return review


@transaction.atomic
def review_submit(*, assignment, by, scores=None, recommendation=None, comment=None):
    """Submit once: every criterion scored within 0..max and a recommendation given."""
    assignment = _own_open_assignment(assignment, by)
    review, criteria = _save_draft(assignment, by, scores, recommendation, comment)
    given = {s.criterion_id: s for s in review.scores.select_related("criterion")}
    errors = {}
    for criterion in criteria:
        if criterion.pk not in given:
            errors[f"score_{criterion.pk}"] = [f"“{criterion.title}”: give a score from 0 to {criterion.max_score}."]
    if not review.recommendation:
        errors["recommendation"] = ["Choose your overall recommendation: fund, maybe or do not fund."]
    if errors:
        raise ValidationError(errors)
    score = weighted_score((given[c.pk].score, c.max_score, c.weight) for c in criteria)
    _transition(review, "submit", by=by, note=f"weighted score {score}", weighted_score=score)
    _transition(assignment, "submit", by=by)
    _tell_if_ready(assignment.application)
    return review


@transaction.atomic
def review_reopen(*, review, by, reason):
    """A program officer sends a submitted review back to its reviewer for changes (audited)."""
    _require_officer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the review is reopened; the reviewer and the audit trail see it."]})
    review = Review.objects.select_for_update().get(pk=review.pk)
    assignment = Assignment.objects.select_for_update().get(pk=review.assignment_id)
    if assignment.application.state not in IN_REVIEW_STATES:
        raise ValidationError("The application is no longer in review; its reviews cannot be reopened.")
    _transition(review, "reopen", by=by, note=reason)
    _transition(assignment, "reopen", by=by, note=reason)
    return review

