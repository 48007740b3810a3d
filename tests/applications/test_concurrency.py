"""Two people acting on the same application at the same moment: exactly one wins, one audit row."""
import threading

import pytest
from django.db import connection

from applications import services
from applications.models import Application
from fundops.audit import TransitionNotAllowed, audit_trail
from tests import factories
from tests.applications.helpers import ready_draft


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_acting_at_once_change_the_state_once():
    applicant = factories.UserFactory(roles=["applicant"])
    officers = [factories.UserFactory(roles=["program_officer"]) for _ in range(2)]
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(officer):
        try:
            copy = Application.objects.get(pk=application.pk)
            barrier.wait()
            services.application_screen_in(application=copy, by=officer)
            outcomes.append("done")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    application.refresh_from_db()
    assert sorted(outcomes) == ["done", "refused"]
    assert application.state == "in_review"
    assert [row.transition for row in audit_trail(application)] == ["submit", "screen_in"]
