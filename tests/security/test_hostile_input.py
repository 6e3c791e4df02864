"""Hostile input gets a clear answer, never a 500 (issue 12, finding 6)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import FeeFactory, LicenseFactory, PermitFactory, contractor_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A client that answers a server error with a 500 page, as production does."""
    return Client(raise_request_exception=False)


NUL_PATHS = [
    "/permits/RES25%00-0001/",
    "/inspections/calendar/abc%00def.ics",
    "/payments/receipts/R2025%00-0000001/",
    "/permits/RES25%00-0001/documents/1/",
    "/inspections/request/RES25%00-0001/",
    "/payments/cart/add/RES25%00-0001/",
    "/permits/RES25%00-0001/contacts/",
    "/admin/permits/permit/1%00/change/",
]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_byte_in_a_path_is_a_404_not_a_500(client, path):
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    FeeFactory(permit=permit)
    client.force_login(contractor_user(license, can_pay=True, can_manage=True))
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (400, 404), (path, response.status_code)


def test_a_nul_byte_in_a_query_is_a_clear_answer(client):
    response = client.get(reverse("permits:search"), {"q": "Oak\x00St"})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("url_name", ["account_login", "admin:login"])
def test_a_login_name_past_255_characters_is_refused_on_the_page(client, url_name):
    response = client.post(
        reverse(url_name), {"login": "x" * 400, "username": "x" * 400, "password": "not-it-at-all"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
