"""The timeline: who sees what, and other apps adding their own entries."""
import pytest
from django.utils import timezone

from applications import selectors, services
from applications.selectors import TimelineEntry
from tests.applications.helpers import ready_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(applicant, program_officer):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    services.application_screen_in(application=application, by=program_officer, note="internal: strong track record")
    services.application_request_info(application=application, by=program_officer, question="Budget notes?")
    services.application_answer_info(application=application, by=applicant, answer="Attached.")
    return application


def test_applicant_sees_their_story_without_staff_names_or_notes(in_review, applicant, program_officer):
    entries = selectors.application_timeline(application=in_review, viewer=applicant)
    assert [e.title for e in entries] == [
        "Submitted", "Screened in for review", "More information requested", "Question from the fund",
        "Information provided", "Answer",
    ]
    assert {e.actor for e in entries} == {str(applicant), "Fund team"}
    assert all("internal" not in e.text for e in entries)
    assert [e.text for e in entries if e.title in ("Question from the fund", "Answer")] == ["Budget notes?", "Attached."]


def test_staff_see_names_and_internal_notes(in_review, program_officer):
    entries = selectors.application_timeline(application=in_review, viewer=program_officer)
    screened = next(e for e in entries if e.title == "Screened in for review")
    assert screened.actor == str(program_officer) and screened.text == "internal: strong track record"


def test_other_apps_add_entries_and_staff_only_ones_stay_hidden(in_review, applicant, program_officer, monkeypatch):
    def reviews_source(*, application, staff):
        yield TimelineEntry(at=timezone.now(), title="Review submitted by Rosa", staff_only=True)
        yield TimelineEntry(at=timezone.now(), title="Panel met")

    monkeypatch.setattr(selectors, "_TIMELINE_SOURCES", [reviews_source])
    staff_titles = [e.title for e in selectors.application_timeline(application=in_review, viewer=program_officer)]
    applicant_titles = [e.title for e in selectors.application_timeline(application=in_review, viewer=applicant)]
    assert staff_titles[-2:] == ["Review submitted by Rosa", "Panel met"]
    assert "Panel met" in applicant_titles and "Review submitted by Rosa" not in applicant_titles
