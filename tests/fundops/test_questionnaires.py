"""Questionnaires: each kind of question's checks, conditional questions, versions and the readers."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from fundops.models import AuditEntry, Question
from fundops.questionnaires import services
from fundops.questionnaires.answers import answer_rows, answers_for
from fundops.questionnaires.forms import answers_form, count_words
from tests import factories
from tests.applications.helpers import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund():
    return factories.FundFactory(base_currency="KES")


@pytest.fixture
def form_of(fund, program_officer):
    def build(*questions):
        questionnaire = services.questionnaire_create(fund=fund, purpose="application", title="Round 1", by=program_officer)
        for fields in questions:
            questionnaire, _ = services.question_add(questionnaire=questionnaire, by=program_officer, **fields)
        return questionnaire

    return build


def errors_of(questionnaire, data, files=None, initial=None):
    form = answers_form(questionnaire, data=data, files=files, initial=initial)
    form.is_valid()
    return form


# Each kind's checks ----------------------------------------------------------------------


def test_required_questions_report_every_problem_at_once(form_of):
    questionnaire = form_of(
        {"kind": "short_text", "label": "Name of your network", "required": True},
        {"kind": "long_text", "label": "Your strategy", "required": True},
        {"kind": "yes_no", "label": "Are you registered?", "required": True},
        {"kind": "short_text", "label": "Website", "required": False},
    )
    form = errors_of(questionnaire, {})
    assert set(form.errors) == {"name_of_your_network", "your_strategy", "are_you_registered"}
    assert form.errors["your_strategy"] == ["Please answer this question."]


def test_short_text_refuses_more_than_its_limit(form_of):
    questionnaire = form_of({"kind": "short_text", "label": "Motto", "max_length": 10})
    assert "motto" in errors_of(questionnaire, {"motto": "x" * 11}).errors
    assert errors_of(questionnaire, {"motto": "x" * 10}).cleaned_answers() == {"motto": "x" * 10}


def test_long_text_counts_words_and_has_a_hard_character_limit(form_of):
    questionnaire = form_of({"kind": "long_text", "label": "Strategy", "word_limit": 5, "max_length": 60})
    form = errors_of(questionnaire, {"strategy": "one two three four five six"})
    assert form.errors["strategy"] == ["This answer has 6 words; it may have 5 at most."]
    assert not errors_of(questionnaire, {"strategy": "one  two\nthree\tfour five"}).errors
    assert "strategy" in errors_of(questionnaire, {"strategy": "x" * 61}).errors


@given(st.lists(st.text(alphabet="ab \n\t", max_size=8), max_size=20))
def test_word_count_is_the_runs_between_spaces(parts):
    text = " ".join(parts)
    assert count_words(text) == len([w for w in text.split() if w])


def test_number_has_limits_refuses_exponents_and_reads_arabic_indic_digits(form_of):
    questionnaire = form_of({"kind": "number", "label": "Paralegals", "min_value": "1", "max_value": "500"})
    assert errors_of(questionnaire, {"paralegals": "١٢"}).cleaned_answers() == {"paralegals": "12"}
    assert "exponent" in errors_of(questionnaire, {"paralegals": "1e2"}).errors["paralegals"][0]
    assert "paralegals" in errors_of(questionnaire, {"paralegals": "0"}).errors
    assert "paralegals" in errors_of(questionnaire, {"paralegals": "501"}).errors


def test_money_is_in_the_funds_currency_unless_the_question_says_so(form_of, fund):
    questionnaire = form_of(
        {"kind": "money", "label": "Annual budget", "max_value": "100000"},
        {"kind": "money", "label": "Largest past grant", "currency": "usd"},
    )
    budget, past = questionnaire.questions.order_by("order")
    assert (budget.currency, past.currency) == ("KES", "USD")
    form = errors_of(questionnaire, {"annual_budget": "2500.50", "largest_past_grant": "-1"})
    assert set(form.errors) == {"largest_past_grant"}
    assert "annual_budget" in errors_of(questionnaire, {"annual_budget": "100000.01"}).errors
    assert "annual_budget" in errors_of(questionnaire, {"annual_budget": "1.005"}).errors  # KES has 2 places
    stored = errors_of(questionnaire, {"annual_budget": "2500.50"}).cleaned_answers()
    assert stored == {"annual_budget": "2500.50"}
    assert [row.display for row in answer_rows(questionnaire, stored)] == ["KES 2,500.50", "—"]


def test_date_choices_country_and_yes_no(form_of):
    questionnaire = form_of(
        {"kind": "date", "label": "Founded"},
        {"kind": "single_choice", "label": "Size", "choices": "Small\nLarge"},
        {"kind": "multiple_choice", "label": "Methods", "choices": ["Paralegals", "Litigation", "Advocacy"]},
        {"kind": "country", "label": "Head office"},
        {"kind": "yes_no", "label": "Registered"},
    )
    bad = errors_of(questionnaire, {
        "founded": "31/02/2020", "size": "Medium", "methods": ["Paralegals", "Bribery"], "head_office": "XX",
        "registered": "maybe",
    })
    assert set(bad.errors) == {"founded", "size", "methods", "head_office", "registered"}
    good = errors_of(questionnaire, {
        "founded": "2015-06-01", "size": "Small", "methods": ["Paralegals", "Advocacy"], "head_office": "SL",
        "registered": "yes",
    })
    assert good.cleaned_answers() == {
        "founded": "2015-06-01", "size": "Small", "methods": ["Paralegals", "Advocacy"], "head_office": "SL",
        "registered": "yes",
    }
    displays = [row.display for row in answer_rows(questionnaire, good.cleaned_answers())]
    assert displays[1:] == ["Small", "Paralegals, Advocacy", "Sierra Leone", "Yes"]


def test_file_questions_use_the_upload_rules(form_of, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    questionnaire = form_of({"kind": "file", "label": "Audited accounts", "required": True})
    renamed = SimpleUploadedFile("accounts.pdf", b"MZ\x90\x00 not a pdf")
    form = errors_of(questionnaire, {}, {"audited_accounts": renamed})
    assert "does not contain what its name says" in form.errors["audited_accounts"][0]
    big = SimpleUploadedFile("accounts.pdf", PDF_BYTES + b"0" * 2000)
    assert "files may be at most" in errors_of(questionnaire, {}, {"audited_accounts": big}).errors["audited_accounts"][0]
    good = errors_of(questionnaire, {}, {"audited_accounts": pdf("accounts.pdf")})
    assert not good.errors and list(good.new_files()) == ["audited_accounts"]
    assert good.cleaned_answers() == {}  # files are stored by the caller
    # A file uploaded earlier still answers a required question.
    earlier = {"audited_accounts": {"attachment": 7, "name": "accounts.pdf"}}
    kept = errors_of(questionnaire, {}, initial=earlier)
    assert not kept.errors and kept.cleaned_answers() == earlier


def test_headings_ask_nothing(form_of):
    questionnaire = form_of({"kind": "heading", "label": "About your finances", "help_text": "Last year's figures."})
    form = errors_of(questionnaire, {})
    assert form.is_valid() and form.cleaned_answers() == {}
    assert [row.is_heading for row in form.rows()] == [True]


# Conditional questions -----------------------------------------------------------------


def test_a_conditional_question_is_required_and_kept_only_when_shown(form_of):
    questionnaire = form_of(
        {"kind": "yes_no", "label": "Have you had a grant before?", "required": True},
        {"kind": "long_text", "label": "Which grant", "required": True, "word_limit": 3,
         "show_if_key": "have_you_had_a_grant_before", "show_if_value": "Yes"},
    )
    follow_up = questionnaire.questions.get(key="which_grant")
    assert follow_up.show_if_value == "yes"
    assert set(errors_of(questionnaire, {"have_you_had_a_grant_before": "yes"}).errors) == {"which_grant"}
    hidden = errors_of(questionnaire, {"have_you_had_a_grant_before": "no", "which_grant": "far too many words here"})
    assert not hidden.errors  # not shown: neither required nor checked
    assert hidden.cleaned_answers() == {"have_you_had_a_grant_before": "no"}  # and its answer dropped
    assert [r.key for r in answer_rows(questionnaire, {"have_you_had_a_grant_before": "no"})] == [
        "have_you_had_a_grant_before"
    ]
    note = errors_of(questionnaire, {}).rows()[1].note
    assert note == "Only if “Have you had a grant before?” is “Yes”."


def test_conditions_chain_and_read_multiple_choices(form_of):
    questionnaire = form_of(
        {"kind": "multiple_choice", "label": "Methods", "choices": "Paralegals\nLitigation"},
        {"kind": "yes_no", "label": "Strategic cases", "required": True, "show_if_key": "methods",
         "show_if_value": "litigation"},
        {"kind": "short_text", "label": "Court", "required": True, "show_if_key": "strategic_cases",
         "show_if_value": "yes"},
    )
    assert set(errors_of(questionnaire, {"methods": ["Litigation"]}).errors) == {"strategic_cases"}
    assert not errors_of(questionnaire, {"methods": ["Paralegals"], "strategic_cases": "yes"}).errors


def test_conditions_must_name_a_question_and_a_possible_answer(form_of, program_officer):
    questionnaire = form_of({"kind": "single_choice", "label": "Size", "choices": "Small\nLarge"})
    with pytest.raises(ValidationError) as error:
        services.question_add(questionnaire=questionnaire, by=program_officer, kind="short_text", label="x",
                              show_if_key="size", show_if_value="Huge")
    assert "Small; Large" in error.value.message_dict["show_if_value"][0]
    with pytest.raises(ValidationError) as error:
        services.question_add(questionnaire=questionnaire, by=program_officer, kind="short_text", label="x",
                              show_if_key="nothing", show_if_value="a")
    assert "show_if_key" in error.value.message_dict


def test_the_editor_reports_every_problem_of_a_question_at_once(form_of, program_officer):
    questionnaire = form_of()
    with pytest.raises(ValidationError) as error:
        services.question_add(questionnaire=questionnaire, by=program_officer, kind="single_choice", label="",
                              choices="Only one")
    assert set(error.value.message_dict) == {"label", "choices"}
    with pytest.raises(ValidationError) as error:
        services.question_add(questionnaire=questionnaire, by=program_officer, kind="number", label="n",
                              min_value="10", max_value="1e3")
    assert set(error.value.message_dict) == {"max_value"}


def test_only_program_officers_change_forms(form_of, applicant, reviewer):
    questionnaire = form_of()
    for user in (applicant, reviewer):
        with pytest.raises(PermissionDenied):
            services.question_add(questionnaire=questionnaire, by=user, kind="short_text", label="Sneaky")


# Versions ---------------------------------------------------------------------------------


def test_changing_a_frozen_form_makes_a_new_version_and_old_answers_read_the_same(form_of, program_officer, fund):
    questionnaire = form_of(
        {"kind": "single_choice", "label": "Size", "choices": "Small\nLarge", "required": True},
        {"kind": "short_text", "label": "Motto"},
    )
    call = factories.CallFactory(fund=fund, application_form=questionnaire)
    old_answers = {"size": "Small", "motto": "Justice for all"}
    services.questionnaire_freeze(questionnaire=questionnaire)
    size = questionnaire.questions.get(key="size")

    new = services.question_update(question=size, by=program_officer, label="Staff size", choices="1-5\n6-50")
    assert new.pk != questionnaire.pk and (new.version, new.previous_id) == (2, questionnaire.pk)
    assert new.made_new_version
    new = services.question_remove(question=questionnaire.questions.get(key="motto"), by=program_officer)
    assert new.version == 2  # the unfrozen v2 takes further changes
    call.refresh_from_db()
    assert call.application_form_id == new.pk

    questionnaire.refresh_from_db()
    assert [(r.label, r.display) for r in answer_rows(questionnaire, old_answers)] == [
        ("Size", "Small"), ("Motto", "Justice for all"),
    ]
    assert list(questionnaire.questions.values_list("label", flat=True)) == ["Size", "Motto"]
    assert [r.label for r in answer_rows(new, {"size": "1-5"})] == ["Staff size"]
    assert AuditEntry.objects.filter(transition="questionnaire_new_version", object_id=new.pk).exists()


def test_moving_questions(form_of, program_officer):
    questionnaire = form_of(*({"kind": "short_text", "label": label} for label in ("A", "B", "C")))
    c = questionnaire.questions.get(key="c")
    services.question_move(question=c, by=program_officer, up=True)
    services.question_move(question=questionnaire.questions.get(key="a"), by=program_officer, up=True)  # already first
    assert list(questionnaire.questions.order_by("order").values_list("key", flat=True)) == ["a", "c", "b"]


def test_a_copy_is_an_unfrozen_first_version_with_the_same_questions(form_of, program_officer, fund):
    questionnaire = form_of({"kind": "money", "label": "Budget"}, {"kind": "yes_no", "label": "Registered"})
    services.questionnaire_freeze(questionnaire=questionnaire)
    copy = services.questionnaire_copy(questionnaire=questionnaire, by=program_officer)
    assert (copy.version, copy.is_frozen, copy.fund_id) == (1, False, fund.pk)
    assert list(copy.questions.values_list("key", "kind", "currency")) == [
        ("budget", "money", "KES"), ("registered", "yes_no", ""),
    ]


# Readers ------------------------------------------------------------------------------------


def test_answers_for_reads_every_questionnaire_in_one_query(form_of, fund):
    forms_ = [form_of({"kind": "short_text", "label": f"Q{i}"}, {"kind": "yes_no", "label": "Yes or no"}) for i in range(3)]
    applications = [
        factories.ApplicationFactory(fund=fund, questionnaire=questionnaire, answers={f"q{i}": f"answer {i}", "yes_or_no": "no"})
        for i, questionnaire in enumerate(forms_)
    ] + [factories.ApplicationFactory(fund=fund)]
    with CaptureQueriesContext(connection) as queries:
        rows = answers_for(applications)
    assert len(queries) == 1
    assert [r.display for r in rows[applications[1].pk]] == ["answer 1", "No"]
    assert rows[applications[3].pk] == []


def test_answers_form_class_follows_edits_of_an_unfrozen_form(form_of, program_officer):
    questionnaire = form_of({"kind": "short_text", "label": "First"})
    assert list(answers_form(questionnaire).fields) == ["first"]
    questionnaire, _ = services.question_add(questionnaire=questionnaire, by=program_officer, kind="date", label="Second")
    questionnaire = type(questionnaire).objects.get(pk=questionnaire.pk)
    assert list(answers_form(questionnaire).fields) == ["first", "second"]


@settings(max_examples=25, deadline=None)
@given(low=st.integers(0, 1000), span=st.integers(0, 1000), typed=st.integers(-10, 3000))
def test_money_limits_hold_for_any_amount(low, span, typed):
    question = Question(key="amount", kind="money", label="Amount", min_value=Decimal(low),
                        max_value=Decimal(low + span), currency="USD", order=1)
    from fundops.questionnaires.forms import field_for
    from django.core.exceptions import ValidationError as Invalid

    field = field_for(question)
    try:
        value = field.clean(str(typed))
    except Invalid:
        assert not (low <= typed <= low + span) or typed < 0
    else:
        assert low <= value <= low + span


def test_a_change_may_not_strand_a_question_that_depends_on_it(form_of, program_officer):
    questionnaire = form_of(
        {"kind": "single_choice", "label": "Size", "choices": "Small\nLarge"},
        {"kind": "short_text", "label": "Why large", "show_if_key": "size", "show_if_value": "Large"},
    )
    size = questionnaire.questions.get(key="size")
    with pytest.raises(ValidationError) as error:
        services.question_update(question=size, by=program_officer, choices="Small\nMedium")
    assert "“Why large” is shown only when this question is answered “Large”" in error.value.message_dict["choices"][0]
    with pytest.raises(ValidationError):
        services.question_update(question=size, by=program_officer, kind="number")
    with pytest.raises(ValidationError):
        services.question_remove(question=size, by=program_officer)
    services.question_update(question=size, by=program_officer, choices="Small\nLarge\nHuge")
    assert questionnaire.questions.get(key="size").choices == ["Small", "Large", "Huge"]
