"""Search and filters of the ranking and the reviewer queue (django-filter): a title or an
application number, the call, the state. They narrow the query; sorting and paging stay in SQL."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import State
from fundops.models import Call, Fund

from .models import Assignment
from .selectors import IN_REVIEW_STATES


def _title_or_number(queryset, prefix, value):
    """Title contains the words, or the application number is the one typed ("#123" or "123")."""
    value = (value or "").strip()
    if not value:
        return queryset
    number = value.lstrip("#")
    matches = Q(**{f"{prefix}title__icontains": value})
    if number.isdigit():
        matches |= Q(**{f"{prefix}pk": int(number)})
    return queryset.filter(matches)


class RankingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search title or number"), method="search")
    call = django_filters.ModelChoiceFilter(label=_("Call"), queryset=Call.objects.none(), empty_label=_("All calls"))
    state = django_filters.ChoiceFilter(
        label=_("State"), empty_label=_("In review or info requested"),
        choices=[(s.value, s.label) for s in State if s in IN_REVIEW_STATES],
    )

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["call"].queryset = Call.objects.filter(fund=fund).order_by("opens_at")

    @property
    def form(self):
        form = super().form
        form.fields["call"].label_from_instance = lambda call: call.name  # the fund is the page's
        return form

    def search(self, queryset, name, value):
        return _title_or_number(queryset, "", value)


class QueueFilter(django_filters.FilterSet):
    """The reviewer's queue: only the funds and calls of their own assignments are offered."""

    q = django_filters.CharFilter(label=_("Search title or number"), method="search")
    fund = django_filters.ModelChoiceFilter(
        label=_("Fund"), field_name="application__fund", queryset=Fund.objects.none(), empty_label=_("All funds")
    )
    call = django_filters.ModelChoiceFilter(
        label=_("Call"), field_name="application__call", queryset=Call.objects.none(), empty_label=_("All calls")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), empty_label=_("Everything to do"),
        choices=[(Assignment.Status.PENDING.value, _("To declare")), (Assignment.Status.NO_CONFLICT.value, _("To score or vote"))],
    )

    def __init__(self, *args, reviewer, **kwargs):
        super().__init__(*args, **kwargs)
        mine = Assignment.objects.filter(reviewer=reviewer, status__in=Assignment.OPEN)
        self.filters["fund"].queryset = Fund.objects.filter(pk__in=mine.values("application__fund")).order_by("name")
        self.filters["call"].queryset = (
            Call.objects.filter(pk__in=mine.values("application__call")).select_related("fund").order_by("fund__name", "opens_at")
        )

    def search(self, queryset, name, value):
        return _title_or_number(queryset, "application__", value)
