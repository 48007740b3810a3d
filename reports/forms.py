from django import forms

from fundops.models import Donor

from .models import ReportRequest


class ReportRequestForm(forms.Form):
    period_start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=ReportRequest.Format.choices, initial=ReportRequest.Format.PDF)

    def __init__(self, *args, fund, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["donor"] = forms.ModelChoiceField(
                queryset=Donor.objects.filter(contributions__fund=fund).distinct(),
                required=False,
                empty_label="Whole fund (no donor named)",
                help_text="Name a donor to show their contributions and share of the fund on the cover.",
            )
