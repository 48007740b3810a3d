"""The finance lists' filters (django-filter): state, fund, currency, batch and scheduling date."""
import django_filters
from django.utils.translation import gettext_lazy as _

from fundops.models import Fund
from fundops.money import CURRENCY_CHOICES

from .models import Payment, PaymentBatch, PaymentState

DATE = {"type": "date"}


class PaymentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=PaymentState.choices, empty_label=_("Any state"))
    fund = django_filters.ModelChoiceFilter(label=_("Fund"), field_name="grant__fund", queryset=Fund.objects.all(),
                                            to_field_name="slug", empty_label=_("Any fund"))
    currency = django_filters.ChoiceFilter(label=_("Currency"), choices=CURRENCY_CHOICES, empty_label=_("Any currency"))
    batch = django_filters.ModelChoiceFilter(label=_("Batch"), queryset=PaymentBatch.objects.all(),
                                             empty_label=_("Any batch"), null_label=_("Not in a batch"))
    scheduled_from = django_filters.DateFilter(label=_("Scheduled from"), field_name="scheduled_at", lookup_expr="date__gte",
                                               widget=django_filters.widgets.forms.DateInput(attrs=DATE))
    scheduled_to = django_filters.DateFilter(label=_("Scheduled until"), field_name="scheduled_at", lookup_expr="date__lte",
                                             widget=django_filters.widgets.forms.DateInput(attrs=DATE))

    class Meta:
        model = Payment
        fields = ["state", "fund", "currency", "batch", "scheduled_from", "scheduled_to"]
