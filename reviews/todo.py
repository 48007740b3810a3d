"""What waits in review: for program officers, applications ready for a decision and recusals to
replace; for reviewers, declarations and reviews due. A fixed number of queries per to-do."""
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import Application, State
from applications.todo import BY_DEADLINE
from fundops import roles
from fundops.models import Fund
from fundops.navigation import TodoItem, todo

from .models import Assignment, PanelTieBreak, PanelVote, Review, Rubric
from .selectors import IN_REVIEW_STATES, rubric_mode_of


def _count_of(queryset, group="application"):
    """A correlated COUNT(*) of `queryset` (filtered on OuterRef("pk")) as an integer column."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def ready_for_decision():
    """Applications in review whose fund's required reviews are in; for a panel-vote rapid-response
    fund, whose panel has a certain majority (or a tie the program officer broke). The same rule as
    selectors.application_ready_for_decision, asked of the database for all applications at once."""
    here = OuterRef("pk")
    panel_fund = Q(fund__kind=Fund.Kind.RAPID_RESPONSE, rubric_mode=Rubric.Mode.PANEL_VOTE)
    applications = Application.objects.filter(state=State.IN_REVIEW).alias(
        rubric_mode=rubric_mode_of(),
        reviews_in=_count_of(Review.objects.filter(
            assignment__application=here, status=Review.Status.SUBMITTED, assignment__status=Assignment.Status.SUBMITTED,
        ), group="assignment__application"),
        in_favour=_count_of(PanelVote.objects.filter(application=here, vote=PanelVote.Vote.FUND)),
        against=_count_of(PanelVote.objects.filter(application=here, vote=PanelVote.Vote.DO_NOT_FUND)),
        members=_count_of(Assignment.objects.filter(application=here, status__in=Assignment.ACTIVE)),
        tie_broken=Exists(PanelTieBreak.objects.filter(application=here)),
    ).alias(
        cast=F("in_favour") + F("against"),
    ).alias(
        size=Greatest(F("members"), F("cast")),
        double_in_favour=F("in_favour") * 2,
        double_against=F("against") * 2,
    )
    panel_decided = (
        Q(size__gt=0) & (Q(double_in_favour__gt=F("size")) | Q(double_against__gt=F("size"))
                         | (Q(cast=F("size")) & Q(in_favour=F("against")) & Q(tie_broken=True)))
    )
    return applications.filter(
        (panel_fund & panel_decided & Q(cast__gte=F("fund__reviews_required")))
        | (~panel_fund & Q(reviews_in__gte=F("fund__reviews_required")))
    )


def recusals_to_replace():
    return Assignment.objects.filter(
        status=Assignment.Status.RECUSED, replaced_by__isnull=True, application__state__in=IN_REVIEW_STATES,
    )


def _approve_item(application):
    return TodoItem(
        label=str(application), url=reverse("disbursements:approve", args=[application.pk]),
        note=f"{application.organization} · {application.fund}", application=application,
    )


def _recusal_item(assignment):
    application = assignment.application
    return TodoItem(
        label=str(application), url=reverse("reviews:assign_application", args=[application.pk]),
        note=_("%(reviewer)s stepped aside") % {"reviewer": assignment.reviewer}, application=application,
    )


def program_officer_todos(user):
    return [
        todo(_("Ready for decision"),
              ready_for_decision().select_related("organization", "fund").order_by(*BY_DEADLINE),
              reverse("reviews:ready"), _approve_item),
        todo(_("Recusals needing a replacement"),
              recusals_to_replace().select_related("application__organization", "application__fund", "reviewer")
              .order_by(F("application__decision_deadline").asc(nulls_last=True), "pk"),
              reverse("reviews:calls"), _recusal_item, urgent=True),
    ]


def _assignment_item(assignment):
    due = _("due %(date)s") % {"date": date_format(timezone.localtime(assignment.due_at), "j M, H:i")} if assignment.due_at else ""
    name = "reviews:declare" if assignment.status == Assignment.Status.PENDING else "reviews:score"
    return TodoItem(
        label=str(assignment.application), url=reverse(name, args=[assignment.pk]), note=due,
        application=assignment.application,
    )


def reviewer_todos(user):
    # Titles only: a reviewer sees nothing else of an application before declaring no conflict.
    mine = (
        Assignment.objects.filter(reviewer=user).select_related("application__fund")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )
    queue = reverse("reviews:queue")
    return [
        todo(_("Overdue reviews"), mine.filter(status__in=Assignment.OPEN, due_at__lt=timezone.now()),
              queue, _assignment_item, urgent=True),
        todo(_("Conflict-of-interest declarations due"), mine.filter(status=Assignment.Status.PENDING),
              queue, _assignment_item),
        todo(_("Reviews due"), mine.filter(status=Assignment.Status.NO_CONFLICT), queue, _assignment_item),
    ]


TODOS = [(roles.PROGRAM_OFFICER, program_officer_todos), (roles.REVIEWER, reviewer_todos)]
