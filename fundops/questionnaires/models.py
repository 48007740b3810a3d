"""Questionnaires: the forms a fund builds without a developer (a call's application form, a
grantee report form). A version is frozen once anyone has submitted answers against it; changing
it then makes a new version, so old answers stay readable exactly as they were given."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundops.money import CURRENCY_CHOICES


class Questionnaire(models.Model):
    class Purpose(models.TextChoices):
        APPLICATION = "application", _("Application form")
        REPORT = "report", _("Grantee report form")

    fund = models.ForeignKey("fundops.Fund", on_delete=models.CASCADE, related_name="questionnaires")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_versions",
        help_text=_("The version this one was copied from."),
    )
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when the first answers are submitted; changes then make a new version.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["fund", "purpose", "title", "version"]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def is_frozen(self):
        return self.frozen_at is not None


class Question(models.Model):
    class Kind(models.TextChoices):
        HEADING = "heading", _("Section heading (with help text)")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Amount of money")
        DATE = "date", _("Date")
        SINGLE_CHOICE = "single_choice", _("One choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
        COUNTRY = "country", _("Country")
        FILE = "file", _("File")
        YES_NO = "yes_no", _("Yes or no")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=50, help_text=_("Stable name of the answer within this form (letters, digits, underscores).")
    )
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("help text"), blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text=_("The options, for choice questions."))
    min_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True, help_text=_("Most characters, for text."))
    word_limit = models.PositiveIntegerField(null=True, blank=True, help_text=_("Most words, for long text."))
    # Money questions: set when the question is added (the fund's base currency unless chosen), so
    # reading an answer never needs the fund, and a later change of the fund's currency leaves old
    # answers in the currency they were given in.
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    # Conditional display kept simple: show this question only when another's answer equals a value.
    show_if_key = models.SlugField(max_length=50, blank=True)
    show_if_value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_unique_key_per_form"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True) | Q(max_value__isnull=True) | Q(max_value__gte=models.F("min_value")),
                name="question_max_gte_min",
            ),
        ]

    def __str__(self):
        return self.label
