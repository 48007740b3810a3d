"""Signing in and the front page each role lands on."""
import pytest

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_sign_in_page_and_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "Sign in" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_wrong_password_says_so(client, applicant):
    response = client.post("/accounts/login/", {"username": applicant.username, "password": "nope"})
    assert "did not match" in response.content.decode()


@pytest.mark.django_db
def test_signed_in_user_sees_welcome(client, applicant):
    assert client.login(username=applicant.username, password=PASSWORD)
    assert f"Welcome, {applicant.first_name}" in client.get("/").content.decode()


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing(django_assert_num_queries):
    from django.apps import apps
    from django.core.management import call_command

    call_command("load_demo")
    counts = {m._meta.label: m.objects.count() for m in apps.get_models()}
    call_command("load_demo")
    assert counts == {m._meta.label: m.objects.count() for m in apps.get_models()}
