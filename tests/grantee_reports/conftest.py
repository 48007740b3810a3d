import pytest

from tests import factories


@pytest.fixture
def officer(db):
    return factories.UserFactory(roles=["program_officer"])


@pytest.fixture
def finance(db):
    return factories.UserFactory(roles=["finance_officer"], first_name="Kwame")


@pytest.fixture
def finance2(db):
    return factories.UserFactory(roles=["finance_officer"], first_name="Lucia")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
