"""What waits for program officers (to screen, answers to read, overdue decisions) and for
applicants (drafts, questions to answer) on the front page. One COUNT and one short list per to-do,
whatever the number of applications waiting."""
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops import roles
from fundops.navigation import TodoItem, todo

from .models import UNDECIDED_STATES, Application, InfoRequest, State
from .selectors import urgency_order

# Nearest deadline first; applications without a clock follow, oldest submission first.
BY_DEADLINE = urgency_order()


def _staff_item(application):
    return TodoItem(
        label=str(application), url=reverse("applications:review_detail", args=[application.pk]),
        note=f"{application.organization} · {application.fund}", application=application,
    )


def _applicant_item(application):
    return TodoItem(label=str(application), url=reverse("applications:edit", args=[application.pk]), note=str(application.fund))


def _question_item(application):
    return TodoItem(label=str(application), url=reverse("applications:answer", args=[application.pk]), note=str(application.fund))


def answered_info_requests():
    """In review again after the applicant answered a question: the answer is for staff to read."""
    answered = InfoRequest.objects.filter(application=OuterRef("pk"), answered_at__isnull=False)
    return Application.objects.filter(Exists(answered), state=State.IN_REVIEW)


def program_officer_todos(user):
    staff = Application.objects.select_related("organization", "fund")
    screening = reverse("applications:screening")
    return [
        todo(_("Overdue decisions"),
              staff.filter(state__in=UNDECIDED_STATES, decision_deadline__lt=timezone.now()).order_by(*BY_DEADLINE),
              screening, _staff_item, urgent=True),
        todo(_("To screen"), staff.filter(state=State.SUBMITTED).order_by(*BY_DEADLINE),
              screening, _staff_item),
        todo(_("Information answered"),
              answered_info_requests().select_related("organization", "fund").order_by(*BY_DEADLINE),
              f"{screening}?state={State.IN_REVIEW}", _staff_item),
    ]


def applicant_todos(user):
    if user.organization_id is None:
        return []
    own = Application.objects.filter(organization_id=user.organization_id).select_related("fund")
    return [
        todo(_("Information requested: answer it"), own.filter(state=State.INFO_REQUESTED).order_by("updated_at", "pk"),
              reverse("applications:list"), _question_item, urgent=True),
        todo(_("Drafts to finish"), own.filter(state=State.DRAFT).order_by("-updated_at", "pk"),
              reverse("applications:list"), _applicant_item),
    ]


TODOS = [(roles.PROGRAM_OFFICER, program_officer_todos), (roles.APPLICANT, applicant_todos)]
