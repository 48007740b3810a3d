"""Forms of the reviewer workspace and the program officer's review pages. They collect input;
the rules (ranges, completeness, who may do what) live in reviews/services.py."""
from django import forms

from fundops.models import User

from .models import PanelVote, Recommendation


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
    reason = forms.CharField(
        label="If yes: what is the conflict?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen only by fund staff. You will not be assigned this organisation's applications again.",
    )


class ScoreForm(forms.Form):
    """One score and comment per criterion, an overall recommendation and comment."""

    recommendation = forms.ChoiceField(
        label="Your recommendation", choices=[("", "— choose —"), *Recommendation.choices], required=False
    )
    comment = forms.CharField(label="Overall comment", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            # Text input on purpose: the service gives the one clear message for any bad score.
            self.fields[f"score_{criterion.pk}"] = forms.CharField(
                label=f"{criterion.title} (0–{criterion.max_score})",
                required=False,
                widget=forms.NumberInput(attrs={"min": 0, "max": criterion.max_score, "step": 1, "class": "score-input"}),
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=f"Comment on {criterion.title}", required=False, widget=forms.Textarea(attrs={"rows": 2})
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
    note = forms.CharField(label="Note to the panel", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(label="Reviewer", queryset=User.objects.none(), empty_label="— choose a reviewer —")

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Why reopen this review?", widget=forms.Textarea(attrs={"rows": 2}))


class TieBreakForm(forms.Form):
    vote = forms.ChoiceField(label="Your casting decision", choices=PanelVote.Vote.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

