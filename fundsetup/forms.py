"""Forms of the fund setup pages. They collect what a program officer typed; fundsetup.services and
fundops.questionnaires.services apply the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from fundops.forms import LONG_TEXT_MAX, DecimalTextField, MoneyField, long_text
from fundops.models import DOCUMENT_KINDS, Fund, Question
from fundops.money import CURRENCY_CHOICES, quantize
from fundops.regions import subregion_choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class FundSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    description = long_text(label=_("Description"), rows=3, required=False,
                            help_text=_("Shown to applicants when they choose a fund."))
    kind = forms.ChoiceField(label=_("Kind of fund"), choices=Fund.Kind.choices)
    base_currency = forms.ChoiceField(
        label=_("Base currency"), choices=CURRENCY_CHOICES,
        help_text=_("Grants, limits and reports are in this currency. It cannot change once money or "
                    "applications have come in."),
    )
    min_grant = MoneyField(label=_("Smallest grant"))
    max_grant = MoneyField(label=_("Largest grant"))
    decision_target_hours = forms.IntegerField(
        label=_("Decision within (hours)"), min_value=1, max_value=24 * 365, required=False,
        help_text=_("Rapid-response funds: hours from submission to decision (e.g. 72)."),
    )
    opens_on = forms.DateField(label=_("Opens on"), widget=DateInput())
    closes_on = forms.DateField(label=_("Closes on"), widget=DateInput(), required=False,
                                help_text=_("Empty: open until further notice."))
    reviews_required = forms.IntegerField(
        label=_("Reviews needed before a decision"), min_value=1, max_value=20,
        help_text=_("For a fund decided by panel vote: the votes needed. Whether a fund scores or votes is "
                    "set in its rubric."),
    )
    blind_review = forms.BooleanField(label=_("Blind review: reviewers do not see the organisation's name"),
                                      required=False)
    eligible_regions = forms.MultipleChoiceField(
        label=_("Regions"), choices=subregion_choices(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked and no country chosen: organisations from every country may apply."),
    )
    eligible_countries = forms.MultipleChoiceField(
        label=_("Countries"), choices=list(countries), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Countries eligible besides the regions ticked. Hold Ctrl (or ⌘) to choose several."),
    )
    registration_required = forms.BooleanField(
        label=_("Only registered organisations may apply"), required=False,
    )
    min_organisation_age_years = forms.IntegerField(
        label=_("Organisation at least this many years old"), min_value=0, max_value=200, required=False,
        help_text=_("Empty: no minimum."),
    )
    max_annual_budget = MoneyField(
        label=_("Organisation's annual budget at most"), required=False,
        help_text=_("In the base currency. Empty: no limit."),
    )
    required_documents = forms.MultipleChoiceField(
        label=_("Documents every application must attach"), choices=DOCUMENT_KINDS, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    themes = forms.CharField(
        label=_("Themes, one per line"), required=False, max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Applicants choose among these. Empty: the network's default list."),
    )

    @classmethod
    def initial_from(cls, fund):
        initial = {
            name: getattr(fund, name)
            for name in cls.base_fields
            if name not in {"eligible_countries", "themes", "min_grant", "max_grant", "max_annual_budget"}
        }
        initial["eligible_countries"] = [c.code for c in fund.eligible_countries]
        initial["themes"] = "\n".join(fund.themes or [])
        for name in ("min_grant", "max_grant", "max_annual_budget"):
            value = getattr(fund, name)
            initial[name] = quantize(value, fund.base_currency) if value is not None else None
        return initial

    def settings_data(self):
        return dict(self.cleaned_data)


class CallForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, help_text=_("e.g. Round 2, or Open call 2027"))
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=DateTimeInput())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DateTimeInput(), required=False)
    is_rolling = forms.BooleanField(label=_("Rolling: no closing date"), required=False)
    guidance = long_text(label=_("Guidance for applicants"), rows=4, required=False)

    FIELDS = ["name", "opens_at", "closes_at", "is_rolling", "guidance"]

    @classmethod
    def initial_from(cls, call):
        return {name: getattr(call, name) for name in cls.FIELDS}


class CallCopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the new call"), max_length=255)
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=DateTimeInput())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DateTimeInput(), required=False,
                                    help_text=_("Empty for a rolling call."))


class QuestionForm(forms.Form):
    """One question in the editor. Which fields matter depends on the kind; the service ignores the rest."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices, initial=Question.Kind.SHORT_TEXT)
    label = forms.CharField(label=_("Question (or heading)"), max_length=300)
    help_text = forms.CharField(label=_("Help text"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    choices = forms.CharField(
        label=_("Choices, one per line"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For one-choice and several-choice questions."),
    )
    min_value = DecimalTextField(label=_("Smallest answer"), required=False,
                                 help_text=_("For numbers and amounts of money."))
    max_value = DecimalTextField(label=_("Largest answer"), required=False)
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("The fund's base currency"))] + CURRENCY_CHOICES, required=False,
        help_text=_("For amounts of money."),
    )
    max_length = forms.IntegerField(label=_("Most characters"), min_value=1, required=False,
                                    help_text=_("For text answers."))
    word_limit = forms.IntegerField(label=_("Most words"), min_value=1, required=False,
                                    help_text=_("For long text answers."))
    show_if_key = forms.ChoiceField(label=_("Show only if the answer to"), required=False)
    show_if_value = forms.CharField(label=_("is"), required=False, max_length=200,
                                    help_text=_("e.g. Yes, or one of that question's choices."))

    FIELDS = ["kind", "label", "help_text", "required", "choices", "min_value", "max_value", "currency",
              "max_length", "word_limit", "show_if_key", "show_if_value"]

    def __init__(self, *args, questions=(), exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["show_if_key"].choices = [("", _("— always show —"))] + [
            (q.key, q.label) for q in questions
            if q.kind in {"yes_no", "single_choice", "multiple_choice", "short_text", "country"}
            and (exclude is None or q.pk != exclude.pk)
        ]

    @classmethod
    def initial_from(cls, question):
        initial = {name: getattr(question, name) for name in cls.FIELDS}
        initial["choices"] = "\n".join(question.choices or [])
        if question.show_if_value in ("yes", "no"):
            initial["show_if_value"] = {"yes": _("Yes"), "no": _("No")}[question.show_if_value]
        return initial

    def question_data(self):
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class QuestionnaireTitleForm(forms.Form):
    title = forms.CharField(label=_("Title of the form"), max_length=200)
