"""The ranking, the reviewer queue and the reviewer's submitted reviews cost the same number of
queries for 5 or 60 applications and for 2 or 30 questions on the call: the database scores, sorts
and pages; templates never query per row; answers are read with one query for all questions."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fundops.models import Question, Questionnaire
from reviews import views
from reviews.models import Assignment, Review, Score
from tests import factories

pytestmark = pytest.mark.django_db


def _call_with_questions(fund, count):
    """A call whose application form asks `count` questions (a heading, long text, choices…)."""
    form = Questionnaire.objects.create(fund=fund, purpose="application", title=f"Form with {count} questions")
    kinds = ["heading", "long_text", "single_choice", "number", "yes_no", "short_text"]
    for n in range(count):
        kind = kinds[n % len(kinds)]
        Question.objects.create(
            questionnaire=form, key=f"q{n}", order=n, kind=kind, label=f"Question {n}",
            choices=["Paralegals", "Litigation"] if kind == "single_choice" else [],
        )
    return factories.CallFactory(fund=fund, application_form=form), form


def _answers(form):
    answers = {}
    for question in form.questions.all():
        answers[question.key] = {
            "long_text": "We train community paralegals.", "single_choice": "Paralegals", "number": "12",
            "yes_no": "yes", "short_text": "Yes",
        }.get(question.kind)
    return {k: v for k, v in answers.items() if v is not None}


def _applications_with_reviews(fund, reviewers, count, *, call=None, form=None):
    """`count` applications in review, each with a submitted, scored review by every reviewer
    (rows written in bulk: this is a read test)."""
    extra = {"call": call, "questionnaire": form, "answers": _answers(form)} if form else {}
    applications = factories.ApplicationFactory.create_batch(count, fund=fund, state="in_review", **extra)
    assignments = Assignment.objects.bulk_create(
        [Assignment(application=a, reviewer=r, status="submitted") for a in applications for r in reviewers]
    )
    rubric = fund.rubrics.get()
    reviews = Review.objects.bulk_create(
        [Review(assignment=a, rubric=rubric, status="submitted", recommendation="fund", weighted_score=50 + (i % 50),
                submitted_at=timezone.now())
         for i, a in enumerate(assignments)]
    )
    criteria = list(rubric.criteria.all())
    Score.objects.bulk_create([Score(review=r, criterion=c, score=3) for r in reviews for c in criteria])
    return applications


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def _scored_fund():
    fund = factories.FundFactory(reviews_required=2)
    rubric = factories.RubricFactory(fund=fund)
    factories.CriterionFactory(rubric=rubric, title="Community rootedness", max_score=5, weight=Decimal("3"))
    factories.CriterionFactory(rubric=rubric, title="Feasibility", max_score=10, weight=Decimal("1"))
    return fund


def test_the_ranking_costs_the_same_queries_for_5_and_60_applications_and_2_and_30_questions(client, officer, make_reviewer):
    reviewers = [make_reviewer(), make_reviewer()]
    measured = {}
    for applications, questions in [(5, 2), (60, 2), (5, 30), (60, 30)]:
        fund = _scored_fund()
        call, form = _call_with_questions(fund, questions)
        _applications_with_reviews(fund, reviewers, applications, call=call, form=form)
        client.force_login(officer)
        count, page = _queries(client, reverse("reviews:ranking", args=[fund.slug]) + f"?call={call.pk}")
        assert f"{applications} applications in review" in page
        count_sorted, _ = _queries(client, reverse("reviews:ranking", args=[fund.slug]) + f"?call={call.pk}&sort=-submitted")
        assert count_sorted == count
        measured[(applications, questions)] = count
    assert len(set(measured.values())) == 1, measured


def test_the_reviewer_queue_and_submitted_reviews_cost_the_same_queries_for_5_and_60(client, officer, make_reviewer):
    rapid = factories.FundFactory(rapid=True)
    factories.RubricFactory(fund=rapid, mode="panel_vote")
    measured = {}
    for count, questions in [(5, 2), (60, 2), (5, 30), (60, 30)]:
        fund = _scored_fund()
        call, form = _call_with_questions(fund, questions)
        reviewer = make_reviewer()
        applications = factories.ApplicationFactory.create_batch(
            count // 2, fund=fund, call=call, questionnaire=form, answers=_answers(form), state="in_review")
        applications += factories.ApplicationFactory.create_batch(count - count // 2, fund=rapid, state="in_review")
        Assignment.objects.bulk_create(
            [Assignment(application=a, reviewer=reviewer, status="pending" if i % 2 else "no_conflict")
             for i, a in enumerate(applications)]
        )
        _applications_with_reviews(fund, [reviewer], count)
        client.force_login(reviewer)
        queue, page = _queries(client, reverse("reviews:queue"))
        assert page.count("<tr>") == min(count, views.QUEUE_PAGE_SIZE) + 1
        submitted, page = _queries(client, reverse("reviews:submitted"))
        assert page.count("<tr>") == min(count, views.QUEUE_PAGE_SIZE) + 1
        filtered, _ = _queries(client, reverse("reviews:queue") + f"?fund={fund.pk}&call={call.pk}&status=pending&q=a")
        measured[(count, questions)] = (queue, submitted, filtered)
    assert len(set(measured.values())) == 1, measured


def test_the_score_page_with_answers_costs_the_same_queries_for_2_and_30_questions(client, officer, make_reviewer):
    measured = {}
    for questions in (2, 30):
        fund = _scored_fund()
        call, form = _call_with_questions(fund, questions)
        application = factories.ApplicationFactory(fund=fund, call=call, state="in_review", questionnaire=form,
                                                   answers=_answers(form))
        reviewer = make_reviewer()
        assignment = Assignment.objects.create(application=application, reviewer=reviewer, status="no_conflict")
        client.force_login(reviewer)
        measured[questions], page = _queries(client, reverse("reviews:score", args=[assignment.pk]))
        assert "Question 1" in page and "We train community paralegals." in page
    assert measured[2] == measured[30], measured


# Pages, ordering and sorting -------------------------------------------------------------------


def _ranked(fund, reviewer, scores):
    """One application in review per score, each with one submitted review of that weighted score;
    submitted a day apart (the first the oldest)."""
    start = timezone.now() - datetime.timedelta(days=len(scores))
    applications = []
    for n, score in enumerate(scores):
        application = factories.ApplicationFactory(fund=fund, state="in_review", title=f"Proposal {n:03d}",
                                                   submitted_at=start + datetime.timedelta(days=n))
        if score is not None:
            assignment = Assignment.objects.create(application=application, reviewer=reviewer, status="submitted")
            Review.objects.create(assignment=assignment, rubric=fund.rubrics.get(), status="submitted",
                                  recommendation="fund", weighted_score=score, submitted_at=timezone.now())
        applications.append(application)
    return applications


def _titles(page):
    return [line.split(">Proposal ")[1][:3] for line in page.split("\n") if ">Proposal " in line]


def test_the_ranking_orders_by_score_across_pages_with_unreviewed_last(client, officer, make_reviewer, monkeypatch):
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 4)
    fund = _scored_fund()
    scores = [Decimal(s) for s in ("55.50", "90", "12.25", "70", "70", "33", "99.99", "0")] + [None, None]
    _ranked(fund, make_reviewer(), scores)
    client.force_login(officer)
    url = reverse("reviews:ranking", args=[fund.slug])

    seen = []
    for number in (1, 2, 3):
        seen += _titles(client.get(url + f"?sort=-score&page={number}").content.decode())
    # Highest first; equal scores by number (the older first); not yet reviewed last.
    assert seen == ["006", "001", "003", "004", "000", "005", "002", "007", "008", "009"]
    page = client.get(url + "?sort=-score&page=2").content.decode()
    assert "Page 2 of 3" in page and 'page=3"' in page and "sort=-score&amp;page=1" in page

    ascending = []
    for number in (1, 2, 3):
        ascending += _titles(client.get(url + f"?sort=score&page={number}").content.decode())
    assert ascending == ["007", "002", "005", "000", "003", "004", "001", "006", "008", "009"]


def test_the_ranking_sorts_by_date_and_searches_and_filters(client, officer, make_reviewer, monkeypatch):
    monkeypatch.setattr(views, "RANKING_PAGE_SIZE", 3)
    fund = _scored_fund()
    applications = _ranked(fund, make_reviewer(), [Decimal("10"), Decimal("80"), None, Decimal("40"), Decimal("60")])
    call = factories.CallFactory(fund=fund, name="Second round")
    for application in applications[3:]:
        application.call = call
        application.save(update_fields=["call"])
    client.force_login(officer)
    url = reverse("reviews:ranking", args=[fund.slug])

    newest = _titles(client.get(url + "?sort=-submitted").content.decode())
    newest += _titles(client.get(url + "?sort=-submitted&page=2").content.decode())
    assert newest == ["004", "003", "002", "001", "000"]
    assert _titles(client.get(url + "?sort=submitted").content.decode()) == ["000", "001", "002"]

    assert _titles(client.get(url + f"?call={call.pk}").content.decode()) == ["004", "003"]
    assert _titles(client.get(url + "?q=proposal 001").content.decode()) == ["001"]
    assert _titles(client.get(url + f"?q=%23{applications[2].pk}").content.decode()) == ["002"]
    assert _titles(client.get(url + "?state=info_requested").content.decode()) == []
    # A call of another fund is not this ranking's.
    assert client.get(url + f"?call={factories.CallFactory().pk}").status_code == 404


def test_the_reviewer_queue_pages_and_filters(client, officer, make_reviewer, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    reviewer = make_reviewer()
    fund, other = _scored_fund(), _scored_fund()
    titles = ["Land rights clinic", "Paralegal training", "Water access", "Bail fund"]
    for n, title in enumerate(titles):
        application = factories.ApplicationFactory(fund=fund if n < 3 else other, state="in_review", title=title)
        Assignment.objects.create(application=application, reviewer=reviewer,
                                  status="pending" if n % 2 else "no_conflict",
                                  due_at=timezone.now() + datetime.timedelta(days=n + 1))
    client.force_login(reviewer)
    url = reverse("reviews:queue")
    first, second = client.get(url).content.decode(), client.get(url + "?page=2").content.decode()
    assert first.index("Land rights clinic") < first.index("Paralegal training") and "Water access" not in first
    assert "Water access" in second and "Bail fund" in second and "Page 2 of 2" in second
    only_other = client.get(url + f"?fund={other.pk}").content.decode()
    assert "Bail fund" in only_other and "Land rights clinic" not in only_other
    to_declare = client.get(url + "?status=pending").content.decode()
    assert "Paralegal training" in to_declare and "Bail fund" in to_declare and "Water access" not in to_declare
    assert "Water access" in client.get(url + "?q=water").content.decode()
    assert "Nothing in your queue matches" in client.get(url + "?q=nothing-like-this").content.decode()
