"""Forms of the reviewer workspace and the program officer's review pages. They collect input;
the rules (ranges, completeness, who may do what) live in reviews/services.py."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from fundops.forms import LONG_TEXT_MAX, NOTE_MAX, DigitsField, long_text
from fundops.models import User

from .models import PanelVote, Recommendation, Rubric


def add_errors(form, error):
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label="Do you have a conflict of interest with this application?",
        choices=[
            ("no", "No — I have no personal, financial or professional tie to this organisation or its people"),
            ("yes", "Yes — I have a conflict and must step aside"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = long_text(
        label=_("If yes: what is the conflict?"),
        max_length=NOTE_MAX, rows=3,
        required=False,
        help_text="Seen only by fund staff. You will not be assigned this organisation's applications again.",
    )


class ScoreForm(forms.Form):
    """One score and comment per criterion, an overall recommendation and comment."""

    recommendation = forms.ChoiceField(
        label="Your recommendation", choices=[("", "— choose —"), *Recommendation.choices], required=False
    )
    comment = long_text(label=_("Overall comment"), max_length=LONG_TEXT_MAX, required=False)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            # Text input on purpose: the service gives the one clear message for any bad score;
            # the field only makes digits typed on another keyboard (٣, ३) plain ASCII first.
            self.fields[f"score_{criterion.pk}"] = DigitsField(
                label=_("%(title)s (0–%(max)s)") % {"title": criterion.title, "max": criterion.max_score},
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "score-input"}),
            )
            self.fields[f"comment_{criterion.pk}"] = long_text(
                label=_("Comment on %(title)s") % {"title": criterion.title}, max_length=LONG_TEXT_MAX, rows=2, required=False
            )

    def rows(self):
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def review_data(self):
        data = self.cleaned_data
        return {
            "scores": {
                c.pk: {"score": data.get(f"score_{c.pk}"), "comment": data.get(f"comment_{c.pk}", "")}
                for c in self.criteria
            },
            "recommendation": data.get("recommendation", ""),
            "comment": data.get("comment", ""),
        }


class PanelVoteForm(forms.Form):
    vote = forms.ChoiceField(label="Your vote", choices=PanelVote.Vote.choices, widget=forms.RadioSelect)
    note = long_text(label=_("Note to the panel"), max_length=NOTE_MAX, rows=3, required=False)


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(label="Reviewer", queryset=User.objects.none(), empty_label="— choose a reviewer —")

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers


class ReopenForm(forms.Form):
    reason = long_text(label=_("Why reopen this review?"), max_length=NOTE_MAX, rows=2)


class TieBreakForm(forms.Form):
    vote = forms.ChoiceField(label="Your casting decision", choices=PanelVote.Vote.choices, widget=forms.RadioSelect)
    note = long_text(label=_("Note"), max_length=NOTE_MAX, rows=2, required=False)



# The rubric editor ----------------------------------------------------------------------


class RubricSettingsForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), widget=forms.RadioSelect)
    instructions = long_text(
        label=_("Instructions to reviewers"), max_length=LONG_TEXT_MAX, rows=4, required=False,
        help_text=_("Shown above the scoring form (or the panel vote)."),
    )

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Rubric.Mode.choices
        if not fund.is_rapid_response:  # only a rapid-response fund decides by panel vote
            choices = [(value, label) for value, label in choices if value != Rubric.Mode.PANEL_VOTE]
        self.fields["mode"].choices = choices


class CriterionForm(forms.Form):
    title = forms.CharField(label=_("Criterion"), max_length=200)
    guidance = long_text(
        label=_("Guidance for reviewers"), max_length=LONG_TEXT_MAX, rows=2, required=False,
        help_text=_("What a reviewer should look for, shown beside the score."),
    )
    max_score = forms.IntegerField(label=_("Highest score"), min_value=1, max_value=100, initial=5)
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_digits=6, decimal_places=2, initial=1,
        help_text=_("How much this criterion counts against the others (1 = normal, 2 = double)."),
    )
