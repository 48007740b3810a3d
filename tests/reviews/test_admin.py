"""The review models' admin lists open, filter and search for an administrator."""
import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

MODELS = ["rubric", "criterion", "reviewerpoolmember", "assignment", "conflictdeclaration", "standingconflict",
          "review", "score", "panelvote", "paneltiebreak"]


def test_every_review_admin_list_opens_with_data(client, fund, in_review):
    application = in_review(title="Admin-visible application")
    factories.submit_reviews_for(application, 2)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    for model in MODELS:
        response = client.get(reverse(f"admin:reviews_{model}_changelist") + "?q=a")
        assert response.status_code == 200, model
    page = client.get(reverse("admin:reviews_assignment_changelist")).content.decode()
    assert "Admin-visible application" in page
