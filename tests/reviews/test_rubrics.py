"""Rubrics built and versioned without a developer: a fund's or a call's rubric, its criteria,
the rule that a rubric scored against cannot change (in the services, the editor page and the
Django admin), new versions that new reviews use while old scores stay readable, and copies."""
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from fundops.models import AuditEntry
from reviews import services
from reviews.models import Criterion, Review, Rubric
from tests import factories
from tests.reviews.helpers import full_scores

pytestmark = pytest.mark.django_db


def _audit(rubric):
    return list(
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Rubric), object_id=rubric.pk)
        .order_by("id").values_list("transition", flat=True)
    )


def _score_once(fund, in_review, make_reviewer, declared, **kwargs):
    application = in_review(**kwargs)
    reviewer = make_reviewer()
    assignment = declared(application, reviewer)
    review = services.review_save_draft(assignment=assignment, by=reviewer, scores=full_scores(fund, 3))
    return application, reviewer, assignment, review


# The service ------------------------------------------------------------------------------------


def test_an_officer_builds_a_rubric_and_each_change_is_audited(officer):
    fund = factories.FundFactory()
    rubric = services.rubric_create(fund=fund, by=officer, instructions="Score each criterion.")
    first = services.criterion_add(rubric=rubric, by=officer, title="Community-led", max_score=5, weight="3")
    second = services.criterion_add(rubric=rubric, by=officer, title="Feasible", max_score=10, weight=1)
    services.criterion_update(criterion=second, by=officer, title="Feasible plan", max_score=5, weight="1.5",
                              guidance="Can this team do it?")
    services.criterion_move(criterion=second, by=officer, up=True)
    assert [c.title for c in rubric.criteria.order_by("order")] == ["Feasible plan", "Community-led"]
    services.criterion_remove(criterion=first, by=officer)
    services.rubric_update(rubric=rubric, by=officer, instructions="Score from 0 to 5.")
    assert [(c.title, c.max_score, c.weight) for c in rubric.criteria.all()] == [("Feasible plan", 5, Decimal("1.50"))]
    assert _audit(rubric) == ["rubric_create", "criterion_add", "criterion_add", "criterion_update", "criterion_move",
                              "criterion_remove", "rubric_update"]
    with pytest.raises(ValidationError) as error:
        services.criterion_add(rubric=rubric, by=officer, title=" ", max_score=0, weight="-1")
    assert set(error.value.message_dict) == {"title", "max_score", "weight"}  # every problem at once
    with pytest.raises(ValidationError):
        services.rubric_update(rubric=rubric, by=officer, mode="panel_vote")  # not a rapid-response fund
    reviewer = factories.UserFactory(roles=["reviewer"])
    with pytest.raises(Exception):
        services.criterion_add(rubric=rubric, by=reviewer, title="x", max_score=5, weight=1)


def test_a_scored_rubric_refuses_every_change_in_the_service(fund, officer, in_review, make_reviewer, declared):
    rubric = fund.rubrics.get()
    rooted, feasible = rubric.criteria.all()
    _score_once(fund, in_review, make_reviewer, declared)
    rubric.refresh_from_db()
    assert rubric.frozen_at is not None
    before = list(rubric.criteria.values_list("title", "max_score", "weight", "order"))
    refusals = [
        lambda: services.criterion_add(rubric=rubric, by=officer, title="New", max_score=5, weight=1),
        lambda: services.criterion_update(criterion=rooted, by=officer, title="Changed", max_score=5, weight=1),
        lambda: services.criterion_remove(criterion=feasible, by=officer),
        lambda: services.criterion_move(criterion=feasible, by=officer, up=True),
        lambda: services.rubric_update(rubric=rubric, by=officer, instructions="Different"),
    ]
    for refuse in refusals:
        with pytest.raises(services.RubricFrozen, match="Make a new version"):
            refuse()
    assert list(rubric.criteria.values_list("title", "max_score", "weight", "order")) == before
    assert _audit(rubric) == []


def test_a_new_version_is_used_by_new_reviews_and_old_scores_stay_readable(fund, officer, in_review, make_reviewer, declared, client):
    old = fund.rubrics.get()
    application, reviewer, assignment, draft = _score_once(fund, in_review, make_reviewer, declared, title="Begun on v1")
    with pytest.raises(ValidationError, match="change it directly"):
        services.rubric_new_version(rubric=services.rubric_create(fund=factories.FundFactory(), by=officer), by=officer)

    new = services.rubric_new_version(rubric=old, by=officer)
    assert (new.version, new.previous, new.frozen_at) == (2, old, None)
    assert [c.title for c in new.criteria.all()] == [c.title for c in old.criteria.all()]
    assert _audit(new) == ["rubric_new_version"]
    services.criterion_update(criterion=new.criteria.get(title="Feasibility"), by=officer, title="Feasibility",
                              max_score=10, weight=Decimal("2"))
    services.criterion_add(rubric=new, by=officer, title="Safety of clients", max_score=5, weight=1)
    with pytest.raises(ValidationError, match="already the current one"):
        services.rubric_new_version(rubric=old, by=officer)

    # The review begun on version 1 is finished on version 1.
    submitted = services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund, 3),
                                       recommendation="fund")
    assert submitted.rubric == old and submitted.scores.count() == 2
    # A review begun now is scored against version 2 (three criteria, the new weight).
    other = declared(application, make_reviewer())
    scores = {c.pk: {"score": c.max_score} for c in new.criteria.all()}
    review = services.review_submit(assignment=other, by=other.reviewer, scores=scores, recommendation="fund")
    assert review.rubric == new and review.scores.count() == 3 and review.weighted_score == Decimal("100.00")
    with pytest.raises(ValidationError, match="not in this fund's rubric"):
        third = declared(application, make_reviewer())
        services.review_save_draft(assignment=third, by=third.reviewer, scores=full_scores(fund, 1))

    # The first reviewer, having submitted, reads both reviews: their own against version 1.
    client.force_login(reviewer)
    page = client.get(reverse("reviews:score", args=[assignment.pk])).content.decode()
    assert "Safety of clients" in page  # the other review, on version 2
    assert page.count("Community rootedness") >= 2


def test_the_call_rubric_wins_over_the_funds_and_a_copy_is_independent(fund, officer):
    call = factories.CallFactory(fund=fund)
    other_call = factories.CallFactory(fund=fund)
    application = factories.ApplicationFactory(fund=fund, call=call, state="in_review")
    fund_rubric = fund.rubrics.get()
    assert services.rubric_for(application=application) == fund_rubric

    copy = services.rubric_copy(rubric=fund_rubric, call=call, by=officer)
    assert (copy.fund, copy.call, copy.version, copy.frozen_at) == (fund, call, 1, None)
    assert services.rubric_for(application=application) == copy
    assert services.rubric_for(application=factories.ApplicationFactory(fund=fund, call=other_call)) == fund_rubric
    services.criterion_add(rubric=copy, by=officer, title="Only in this call", max_score=3, weight=1)
    assert not fund_rubric.criteria.filter(title="Only in this call").exists()
    assert _audit(copy) == ["rubric_copy", "criterion_add"]
    # Copying again gives the call its next version, keeping the first readable.
    again = services.rubric_copy(rubric=fund_rubric, call=call, by=officer)
    assert (again.version, again.previous) == (2, copy)


# The editor page ------------------------------------------------------------------------------


def test_an_officer_edits_a_rubric_on_the_page(client, officer):
    fund = factories.FundFactory()
    client.force_login(officer)
    response = client.post(reverse("reviews:rubric_create_for_fund", args=[fund.slug]))
    rubric = fund.rubrics.get()
    assert response.url == reverse("reviews:rubric_edit", args=[rubric.pk])
    url = response.url
    add = {"action": "add", "add-title": "Community-led", "add-guidance": "Led by the people it serves?",
           "add-max_score": "5", "add-weight": "3"}
    assert client.post(url, add).status_code == 302
    client.post(url, {**add, "add-title": "Budget", "add-weight": "1"})
    budget = rubric.criteria.get(title="Budget")
    client.post(url, {"action": "up", "criterion": budget.pk})
    assert list(rubric.criteria.order_by("order").values_list("title", flat=True)) == ["Budget", "Community-led"]
    client.post(url, {"action": "update", "criterion": budget.pk, "edit-title": "Budget and value",
                      "edit-max_score": "10", "edit-weight": "1.5"})
    client.post(url, {"action": "settings", "mode": "scoring", "instructions": "Score 0 to the maximum."})
    page = client.get(url).content.decode()
    assert "Budget and value" in page and "0 to 10 · weight 1.50 (33% of the score)" in page
    # Problems are shown by the fields, nothing saved.
    page = client.post(url, {**add, "add-title": "", "add-weight": "0"}).content.decode()
    assert "This field is required." in page and rubric.criteria.count() == 2
    client.post(url, {"action": "remove", "criterion": budget.pk})
    assert list(rubric.criteria.values_list("title", flat=True)) == ["Community-led"]
    assert _audit(rubric) == ["rubric_create", "criterion_add", "criterion_add", "criterion_move",
                              "criterion_update", "rubric_update", "criterion_remove"]


def test_a_scored_rubric_page_offers_only_a_new_version(client, fund, officer, in_review, make_reviewer, declared):
    rubric = fund.rubrics.get()
    _score_once(fund, in_review, make_reviewer, declared)
    client.force_login(officer)
    url = reverse("reviews:rubric_edit", args=[rubric.pk])
    page = client.get(url).content.decode()
    assert "Scored already — changes make a new version" in page
    assert 'value="add"' not in page and 'value="remove"' not in page
    # A change posted anyway is refused with the way forward.
    response = client.post(url, {"action": "add", "add-title": "Sneaked in", "add-max_score": "5", "add-weight": "1"},
                           follow=True)
    assert "Make a new version" in response.content.decode()
    assert not rubric.criteria.filter(title="Sneaked in").exists()

    response = client.post(url, {"action": "new_version"})
    new = Rubric.objects.get(fund=fund, version=2)
    assert response.url == reverse("reviews:rubric_edit", args=[new.pk])
    page = client.get(response.url).content.decode()
    assert "Scored already" not in page and 'value="add"' in page
    old_page = client.get(url).content.decode()
    assert "This is an older version" in old_page


def test_a_call_gets_its_own_rubric_copied_from_the_funds(client, fund, officer):
    call = factories.CallFactory(fund=fund, name="Second round")
    client.force_login(officer)
    page = client.get(reverse("reviews:calls")).content.decode()
    assert reverse("reviews:rubric_create_for_call", args=[call.pk]) in page
    response = client.post(reverse("reviews:rubric_create_for_call", args=[call.pk]))
    own = Rubric.objects.get(call=call)
    assert response.url == reverse("reviews:rubric_edit", args=[own.pk])
    assert list(own.criteria.values_list("title", flat=True)) == ["Community rootedness", "Feasibility"]
    # Asking again opens the call's rubric rather than making another.
    assert client.post(reverse("reviews:rubric_create_for_call", args=[call.pk])).url == response.url
    assert f'href="{response.url}"' in client.get(reverse("reviews:calls")).content.decode()
    assert client.get(reverse("reviews:rubric_create_for_call", args=[call.pk])).status_code == 405


# The Django admin -----------------------------------------------------------------------------


def _admin_post(rubric, **changes):
    """The admin change form of a rubric as a browser would post it, with `changes`."""
    criteria = list(rubric.criteria.order_by("order", "id"))
    data = {"mode": rubric.mode, "instructions": rubric.instructions,
            "criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": str(len(criteria)),
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "1000", "_save": "Save"}
    for n, c in enumerate(criteria):
        data.update({f"criteria-{n}-id": str(c.pk), f"criteria-{n}-rubric": str(rubric.pk),
                     f"criteria-{n}-order": str(c.order), f"criteria-{n}-title": c.title,
                     f"criteria-{n}-guidance": c.guidance, f"criteria-{n}-max_score": str(c.max_score),
                     f"criteria-{n}-weight": str(c.weight)})
    data.update(changes)
    return data


def test_the_admin_refuses_to_change_a_scored_rubric_and_points_to_a_new_version(client, fund, in_review, make_reviewer, declared):
    rubric = fund.rubrics.get()
    _score_once(fund, in_review, make_reviewer, declared)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:reviews_rubric_change", args=[rubric.pk])
    page = client.get(url).content.decode()
    assert "Make a new version" in page
    assert 'name="criteria-0-title"' not in page  # the criteria are read-only

    response = client.post(url, _admin_post(rubric, instructions="Changed in the admin", **{
        "criteria-0-title": "Changed title", "criteria-0-max_score": "50"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot change" in page and "Make a new version" in page
    rubric.refresh_from_db()
    assert rubric.instructions != "Changed in the admin"
    assert not Criterion.objects.filter(title="Changed title").exists()

    response = client.post(reverse("admin:reviews_rubric_changelist"),
                           {"action": "make_new_version", "_selected_action": [rubric.pk]})
    assert response.status_code == 302
    new = Rubric.objects.get(fund=fund, version=2)
    assert new.criteria.count() == 2 and _audit(new) == ["rubric_new_version"]


def test_the_admin_changes_an_unscored_rubric_through_the_services(client, fund):
    rubric = fund.rubrics.get()
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:reviews_rubric_change", args=[rubric.pk])
    assert 'name="criteria-0-title"' in client.get(url).content.decode()
    data = _admin_post(rubric, instructions="From the admin", **{"criteria-0-title": "Rooted in the community"})
    data.update({"criteria-TOTAL_FORMS": "3", "criteria-2-rubric": str(rubric.pk), "criteria-2-order": "3",
                 "criteria-2-title": "Learning", "criteria-2-guidance": "", "criteria-2-max_score": "5",
                 "criteria-2-weight": "1"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rubric.refresh_from_db()
    assert rubric.instructions == "From the admin"
    assert list(rubric.criteria.order_by("order").values_list("title", flat=True)) == [
        "Rooted in the community", "Feasibility", "Learning"]
    assert _audit(rubric) == ["rubric_update", "criterion_update", "criterion_add"]


def test_existing_reviews_record_their_rubric(fund, in_review, make_reviewer, declared):
    *_, review = _score_once(fund, in_review, make_reviewer, declared)
    assert Review.objects.get(pk=review.pk).rubric == fund.rubrics.get()
