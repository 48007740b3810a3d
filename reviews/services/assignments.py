"""Every write about who reviews what: the reviewer pool, assignments (by hand and automatic,
spread evenly), reminders, replacements after a recusal, cancellations, and the reviewer's
conflict-of-interest declaration that comes before they see anything."""
import datetime
import heapq
from collections import Counter, defaultdict

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_notice_context, notify_each
from fundops import roles
from fundops.models import AuditEntry, Fund, User
from fundops.notifications import kinds, notify
from fundops.notifications.recipients import program_officers

from ..models import Assignment, ConflictDeclaration, ReviewerPoolMember, StandingConflict
from ..selectors import IN_REVIEW_STATES
from ..tasks import REVIEW_REMINDERS, schedule_review_reminders
from ._common import DEFAULT_REVIEW_DAYS, _audit_created, _require_officer, _transition

# Pool -----------------------------------------------------------------------------------


@transaction.atomic
def reviewer_pool_add(*, fund, reviewer, by):
    _require_officer(by)
    if not roles.is_reviewer(reviewer):
        raise ValidationError({"reviewer": [f"{reviewer} does not hold the reviewer role."]})
    member, _ = ReviewerPoolMember.objects.get_or_create(fund=fund, reviewer=reviewer)
    return member


def reviewer_pool(*, fund):
    """The fund's pool of reviewers; when none is set up, every active reviewer."""
    reviewers = User.objects.filter(is_active=True, groups__name=roles.REVIEWER)
    if ReviewerPoolMember.objects.filter(fund=fund).exists():
        reviewers = reviewers.filter(review_pools__fund=fund)
    return reviewers.distinct().order_by("id")



# Assignments ----------------------------------------------------------------------------


def _due_at(fund, submitted_at, now):
    if fund.is_rapid_response and fund.decision_target_hours:
        start = submitted_at or now
        # Leave the program officer the last quarter of the decision window (but never under 12 hours).
        return max(start + datetime.timedelta(hours=fund.decision_target_hours * 3 / 4), now + datetime.timedelta(hours=12))
    return now + datetime.timedelta(days=DEFAULT_REVIEW_DAYS)


def _assignment_errors(*, application, reviewer):
    if application.state not in IN_REVIEW_STATES:
        return {"application": [f"This application is {application.get_state_display().lower()}, not in review."]}
    if not roles.has_role(reviewer, roles.REVIEWER) or not reviewer.is_active:
        return {"reviewer": [f"{reviewer} is not a reviewer."]}
    if reviewer.organization_id and reviewer.organization_id == application.organization_id:
        return {"reviewer": [f"{reviewer} is a member of the applicant organisation."]}
    if StandingConflict.objects.filter(reviewer=reviewer, organization_id=application.organization_id).exists():
        return {"reviewer": [f"{reviewer} has declared a conflict of interest with the applicant organisation."]}
    if Assignment.objects.filter(application=application, reviewer=reviewer).exists():
        return {"reviewer": [f"{reviewer} is already assigned to this application."]}
    return None


@transaction.atomic
def assignment_create(*, application, reviewer, by, due_at=None, note=""):
    """A program officer asks one reviewer to review one application."""
    _require_officer(by)
    application = Application.objects.select_related("fund").get(pk=application.pk)
    errors = _assignment_errors(application=application, reviewer=reviewer)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=by, assigned_at=now,
                due_at=due_at or _due_at(application.fund, application.submitted_at, now),
            )
    except IntegrityError as exc:  # a second officer assigned the same reviewer a moment ago
        raise ValidationError({"reviewer": [f"{reviewer} is already assigned to this application."]}) from exc
    _audit_created(assignment, by=by, transition="assign", to_state=assignment.status, note=note)
    _tell_assigned(assignment, application)
    return assignment


# Telling reviewers ------------------------------------------------------------------------


def _reviewer_url(assignment):
    return reverse("reviews:score", args=[assignment.pk])


def _due_text(assignment):
    return assignment.due_at.isoformat() if assignment.due_at else ""


def _tell_assigned(assignment, application):
    """The reviewer learns of the assignment (with its due date); reminders are scheduled."""
    notify(
        recipient=assignment.reviewer, kind=kinds.REVIEW_ASSIGNED, event_key=f"assignment:{assignment.pk}:assigned",
        obj=assignment, url=_reviewer_url(assignment),
        context=application_notice_context(application, due=_due_text(assignment)),
    )
    schedule_review_reminders(assignment)


@transaction.atomic
def assignment_remind(*, assignment_id, reminder, now=None):
    """A reviewer's reminder ("due-tomorrow" or "overdue"), sent while the review is still to do.

    Runs from the task scheduled at assignment; does nothing once the review is in or the
    assignment ended, before its moment, or when the assignment was made less than a day before
    it is due (the assignment notice already said so). Each reminder is sent once.
    """
    assignment = (
        Assignment.objects.select_related("application__fund", "reviewer").filter(pk=assignment_id).first()
    )
    if assignment is None or assignment.status not in Assignment.OPEN or assignment.due_at is None:
        return None
    moment = assignment.due_at - REVIEW_REMINDERS[reminder]
    if (now or timezone.now()) < moment or (reminder == "due-tomorrow" and assignment.assigned_at > moment):
        return None
    kind = kinds.REVIEW_DUE_TOMORROW if reminder == "due-tomorrow" else kinds.REVIEW_OVERDUE
    return notify(
        recipient=assignment.reviewer, kind=kind, event_key=f"assignment:{assignment.pk}:{reminder}",
        obj=assignment, url=_reviewer_url(assignment),
        context=application_notice_context(assignment.application, due=_due_text(assignment)),
    )


@transaction.atomic
def assignments_auto(*, fund, by, call=None, application=None):
    """Give every application in review (or the one `application`) the fund's required number of reviewers, spreading
    the load evenly over the pool (most and least loaded differ by at most one) and never
    picking a member of the applicant organisation or someone with a declared conflict.

    A fixed handful of queries and one bulk insert, so a call of thousands assigns at once.
    """
    _require_officer(by)
    # One automatic assignment per fund at a time: the second waits and sees the first's rows.
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    needed = fund.reviews_required
    pool = list(reviewer_pool(fund=fund).values_list("id", "organization_id"))
    if not pool:
        raise ValidationError("There are no reviewers in this fund's pool to assign.")
    pool_ids = [rid for rid, _ in pool]
    org_of = dict(pool)
    conflicts = set(
        StandingConflict.objects.filter(reviewer_id__in=pool_ids).values_list("reviewer_id", "organization_id")
    )
    applications = Application.objects.filter(fund=fund, state__in=IN_REVIEW_STATES)
    if call is not None:
        applications = applications.filter(call=call)
    if application is not None:
        # One application (the fast track at screening in): it may be entering review in this very
        # transaction, its new state not saved yet, so its state is read from the object given.
        in_review = application.fund_id == fund.pk and application.state in IN_REVIEW_STATES
        applications = Application.objects.filter(pk=application.pk) if in_review else Application.objects.none()
    targets = list(applications.order_by("submitted_at", "id").values_list("id", "organization_id", "submitted_at"))
    taken = defaultdict(set)
    active = Counter()
    for app_id, reviewer_id, status in Assignment.objects.filter(application__in=applications).values_list(
        "application_id", "reviewer_id", "status"
    ):
        taken[app_id].add(reviewer_id)
        if status in Assignment.ACTIVE:
            active[app_id] += 1
    load = Counter({rid: 0 for rid in pool_ids})
    for row in (
        Assignment.objects.filter(application__fund=fund, reviewer_id__in=pool_ids, status__in=Assignment.ACTIVE)
        .values("reviewer_id")
        .annotate(n=Count("id"))
    ):
        load[row["reviewer_id"]] = row["n"]

    def eligible(rid, app_id, org_id):
        return rid not in taken[app_id] and org_of[rid] != org_id and (rid, org_id) not in conflicts

    heap = [(load[rid], rid) for rid in pool_ids]
    heapq.heapify(heap)
    new = []  # [app_id, org_id, reviewer_id, submitted_at]
    for app_id, org_id, submitted_at in targets:
        picked, skipped = [], []
        while len(picked) < needed - active[app_id] and heap:
            entry = heapq.heappop(heap)
            (picked if eligible(entry[1], app_id, org_id) else skipped).append(entry)
        for n, rid in picked:
            taken[app_id].add(rid)
            load[rid] += 1
            new.append([app_id, org_id, rid, submitted_at])
            heapq.heappush(heap, (n + 1, rid))
        for entry in skipped:
            heapq.heappush(heap, entry)
    _rebalance(new, load, eligible, taken)

    now = timezone.now()
    assignments = [
        Assignment(application_id=app_id, reviewer_id=rid, assigned_by=by, assigned_at=now,
                   due_at=_due_at(fund, submitted_at, now))
        for app_id, _org, rid, submitted_at in new
    ]
    created = Assignment.objects.bulk_create(assignments, batch_size=500)
    if created and created[0].pk is None:  # databases that do not return ids from a bulk insert
        created = list(Assignment.objects.filter(assigned_at=now, assigned_by=by, application__fund=fund))
    content_type = ContentType.objects.get_for_model(Assignment)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(content_type=content_type, object_id=a.pk, actor=by, at=now, transition="assign",
                       from_state="", to_state=Assignment.Status.PENDING, note="automatic assignment")
            for a in created
        ],
        batch_size=500,
    )
    reviewers = User.objects.in_bulk({a.reviewer_id for a in created})
    assigned = Application.objects.select_related("fund").in_bulk({a.application_id for a in created})
    for assignment in created:
        assignment.reviewer = reviewers[assignment.reviewer_id]
        _tell_assigned(assignment, assigned[assignment.application_id])
    return created


def _rebalance(new, load, eligible, taken):
    """Move new assignments from the most to the least loaded reviewer until they differ by ≤ 1
    (exclusions can leave the greedy pass a little uneven near the end)."""
    for _ in range(len(new) + 1):
        most = max(load, key=lambda rid: (load[rid], rid))
        least = min(load, key=lambda rid: (load[rid], rid))
        if load[most] - load[least] <= 1:
            return
        for item in new:
            app_id, org_id, rid, _ = item
            if rid == most and eligible(least, app_id, org_id):
                taken[app_id].discard(most)
                taken[app_id].add(least)
                item[2] = least
                load[most] -= 1
                load[least] += 1
                break
        else:
            return


@transaction.atomic
def assignment_replace(*, assignment, reviewer, by):
    """Assign a replacement for a reviewer who recused; the recusal stays on record."""
    _require_officer(by)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != Assignment.Status.RECUSED:
        raise ValidationError("Only a recused reviewer is replaced; this assignment is "
                              f"{assignment.get_status_display().lower()}.")
    if assignment.replaced_by_id:
        raise ValidationError("A replacement has already been assigned.")
    replacement = assignment_create(
        application=assignment.application, reviewer=reviewer, by=by, note=f"replaces {assignment.reviewer}"
    )
    assignment.replaced_by = replacement
    assignment.save(update_fields=["replaced_by"])
    notify(
        recipient=assignment.reviewer, kind=kinds.REVIEW_REPLACED, event_key=f"assignment:{assignment.pk}:replaced",
        obj=assignment, url=reverse("reviews:queue"), context=application_notice_context(replacement.application),
    )
    return replacement


@transaction.atomic
def assignment_cancel(*, assignment, by, note=""):
    _require_officer(by)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    _transition(assignment, "cancel", by=by, note=note or "cancelled by a program officer")
    return assignment


@transaction.atomic
def assignments_cancel_open(*, application, by=None, note=""):
    """The application left review: its assignments not yet submitted are cancelled."""
    cancelled = []
    for assignment in Assignment.objects.select_for_update().filter(application=application, status__in=Assignment.OPEN):
        _transition(assignment, "cancel", by=by, note=note)
        cancelled.append(assignment)
    return cancelled


# Conflicts of interest ------------------------------------------------------------------


@transaction.atomic
def conflict_declare(*, assignment, by, has_conflict, reason=""):
    """The reviewer declares, before seeing anything, whether they have a conflict of interest.
    A conflict recuses them, is remembered against the organisation, and tells the program officers."""
    assignment = Assignment.objects.select_for_update().select_related("application__fund").get(pk=assignment.pk)
    if assignment.reviewer_id != getattr(by, "pk", None):
        raise PermissionDenied("Only the assigned reviewer can declare a conflict of interest.")
    reason = (reason or "").strip()
    if has_conflict and not reason:
        raise ValidationError({"reason": ["Say briefly what the conflict is (it is seen only by fund staff)."]})
    if has_conflict:
        _transition(assignment, "recuse", by=by, note=reason)
    else:
        _transition(assignment, "declare_no_conflict", by=by, note="declared no conflict of interest")
    declaration = ConflictDeclaration.objects.create(
        assignment=assignment, has_conflict=has_conflict, reason=reason if has_conflict else ""
    )
    if has_conflict:
        StandingConflict.objects.get_or_create(
            reviewer=by,
            organization_id=assignment.application.organization_id,
            defaults={"reason": reason, "declaration": declaration},
        )
        application = assignment.application
        notify_each(
            program_officers(), kind=kinds.RECUSAL_NEEDS_REPLACEMENT, event_key=f"assignment:{assignment.pk}:recused",
            obj=application, url=reverse("reviews:assign_application", args=[application.pk]),
            context=application_notice_context(application, reviewer=str(assignment.reviewer)),
        )
    return declaration

