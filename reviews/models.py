"""Reviews: a fund's rubric and reviewer pool, assignments with conflict-of-interest
declarations, reviews with one score per criterion, and rapid-response panel votes."""
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fundops import roles
from fundops.models import Call, Fund, Organization


def _is_the_reviewer(assignment, user):
    return user is not None and assignment.reviewer_id == user.pk


def _is_the_review_author(review, user):
    return _is_the_reviewer(review.assignment, user)


def _is_program_officer(obj, user):
    return roles.is_program_officer(user)


class Rubric(models.Model):
    """How applications are judged: weighted criteria, or a panel vote (rapid response).

    A fund has its rubric (call empty); a call may have its own. Each is versioned: once anyone
    has scored against a version it is frozen, and a change makes the next version (previous =
    the frozen one), which new reviews use. A review keeps the version it was scored against, so
    old scores stay readable exactly as they were given. The current rubric of a fund or call is
    its highest version."""

    class Mode(models.TextChoices):
        SCORING = "scoring", _("Scores against weighted criteria")
        PANEL_VOTE = "panel_vote", _("Panel vote (fund / do not fund)")

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="rubrics")
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.CASCADE, related_name="rubrics",
        help_text=_("Empty for the fund's own rubric; set for a call that judges by its own."),
    )
    version = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions",
        help_text=_("The version this one was copied from."),
    )
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when the first score is given; changes then make a new version."),
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.SCORING)
    instructions = models.TextField(blank=True, help_text=_("Shown to reviewers above the scoring form."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["fund", "call", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "version"], condition=Q(call__isnull=True), name="rubric_fund_version_once"
            ),
            models.UniqueConstraint(
                fields=["call", "version"], condition=Q(call__isnull=False), name="rubric_call_version_once"
            ),
        ]
        indexes = [models.Index(fields=["fund", "call", "version"])]

    def __str__(self):
        owner = self.call.name if self.call_id else self.fund.name
        return f"Rubric of {owner} (v{self.version})"

    @property
    def is_panel(self):
        return self.mode == self.Mode.PANEL_VOTE

    @property
    def is_frozen(self):
        return self.frozen_at is not None


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="What a reviewer should look for, shown beside the score.")
    max_score = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "order", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.CheckConstraint(condition=Q(max_score__gte=1), name="criterion_max_score_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self):
        return self.title


class ReviewerPoolMember(models.Model):
    """A reviewer who may be assigned a fund's applications (an empty pool means every reviewer)."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="reviewer_pool")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_pools")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fund", "reviewer"], name="pool_member_once_per_fund")]

    def __str__(self):
        return f"{self.reviewer} in {self.fund}"


class Assignment(ConcurrentTransitionMixin, models.Model):
    """One reviewer asked to review one application. Nothing of the application is shown
    until the reviewer has declared they have no conflict of interest."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting declaration"
        NO_CONFLICT = "no_conflict", "No conflict — reviewing"
        RECUSED = "recused", "Recused (conflict)"
        SUBMITTED = "submitted", "Submitted"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = [Status.PENDING, Status.NO_CONFLICT, Status.SUBMITTED]
    OPEN = [Status.PENDING, Status.NO_CONFLICT]

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    # The assignment made to take over after this reviewer recused.
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["reviewer", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_once_per_reviewer"),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.application}"

    @property
    def may_see_application(self):
        return self.status in (self.Status.NO_CONFLICT, self.Status.SUBMITTED)

    @property
    def needs_replacement(self):
        return self.status == self.Status.RECUSED and self.replaced_by_id is None

    # Transitions: guards and state only; services write declarations, reviews and e-mails.

    @transition(field=status, source=Status.PENDING, target=Status.NO_CONFLICT, permission=_is_the_reviewer)
    def declare_no_conflict(self, *, by=None):
        pass

    @transition(field=status, source=[Status.PENDING, Status.NO_CONFLICT], target=Status.RECUSED, permission=_is_the_reviewer)
    def recuse(self, *, by=None):
        pass

    @transition(field=status, source=Status.NO_CONFLICT, target=Status.SUBMITTED, permission=_is_the_reviewer)
    def submit(self, *, by=None):
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.NO_CONFLICT, permission=_is_program_officer)
    def reopen(self, *, by=None):
        pass

    # No permission here: the application leaving review cancels open assignments, whoever moved it
    # (an applicant withdrawing included); reviews/services.py decides who may cancel by hand.
    @transition(field=status, source=[Status.PENDING, Status.NO_CONFLICT], target=Status.CANCELLED)
    def cancel(self, *, by=None):
        pass


class ConflictDeclaration(models.Model):
    """What a reviewer declared about an assignment; kept forever and shown on the timeline to staff."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="declarations")
    has_conflict = models.BooleanField()
    reason = models.TextField(blank=True)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["declared_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(has_conflict=False) | ~Q(reason=""), name="conflict_has_reason"),
        ]

    def __str__(self):
        return f"{self.assignment.reviewer}: {'conflict' if self.has_conflict else 'no conflict'}"


class StandingConflict(models.Model):
    """A reviewer's declared conflict with an organisation: never assigned its applications again."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standing_conflicts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reviewer_conflicts")
    reason = models.TextField(blank=True)
    declaration = models.ForeignKey(
        ConflictDeclaration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "organization"], name="standing_conflict_once"),
        ]

    def __str__(self):
        return f"{self.reviewer} ✕ {self.organization}"


class Recommendation(models.TextChoices):
    FUND = "fund", "Fund"
    MAYBE = "maybe", "Maybe"
    DO_NOT_FUND = "do_not_fund", "Do not fund"


class Review(ConcurrentTransitionMixin, models.Model):
    """A reviewer's scores and recommendation for one assignment. Submitted once; a program
    officer may reopen it (audited), which returns it to draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="review")
    # The rubric version scored against (set with the first draft), so a later version never
    # changes how an old review reads.
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices, blank=True)
    comment = models.TextField("overall comment", blank=True)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    # Fixed at submission from the scores (reviews/scoring.py), so ranking is a database average.
    weighted_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The latest reopening; every one of them is in the audit trail.
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weighted_score__isnull=True) | (Q(weighted_score__gte=0) & Q(weighted_score__lte=100)),
                name="review_weighted_score_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | ~Q(recommendation=""), name="review_submitted_has_recommendation"
            ),
        ]

    def __str__(self):
        return f"Review by {self.assignment.reviewer} of {self.assignment.application}"

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED, permission=_is_the_review_author)
    def submit(self, *, by=None, weighted_score=None):
        self.weighted_score = weighted_score
        self.submitted_at = timezone.now()

    @transition(field=status, source=Status.SUBMITTED, target=Status.DRAFT, permission=_is_program_officer)
    def reopen(self, *, by=None):
        self.reopened_at = timezone.now()
        self.reopened_by = by


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    # The upper bound (criterion.max_score) lives in another table; reviews/services.py checks it.
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_once_per_criterion"),
            models.CheckConstraint(condition=Q(score__gte=0), name="score_not_negative"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.score}"


class PanelVote(models.Model):
    """A rapid-response panel member's vote; the majority decides, a tie goes to the program officer."""

    class Vote(models.TextChoices):
        FUND = "fund", "Fund"
        DO_NOT_FUND = "do_not_fund", "Do not fund"

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="panel_votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_votes")
    vote = models.CharField(max_length=20, choices=Vote.choices)
    note = models.TextField(blank=True)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="panel_vote_once_per_member"),
        ]

    def __str__(self):
        return f"{self.member}: {self.get_vote_display()}"


class PanelTieBreak(models.Model):
    """The program officer's casting decision when a panel is evenly split."""

    application = models.OneToOneField("applications.Application", on_delete=models.CASCADE, related_name="panel_tie_break")
    vote = models.CharField(max_length=20, choices=PanelVote.Vote.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Tie broken: {self.get_vote_display()}"
