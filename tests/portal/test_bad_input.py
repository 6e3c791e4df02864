"""Bad input gets a clear answer, never a 500: ids that only look like numbers, ids past a
64-bit column, page numbers thousands of digits long, damaged tokens."""

import logging
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from core.params import parse_id
from tests.factories import (
    FeeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    make_inspector,
)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 2**63 - 1


@pytest.fixture
def client():
    """A client that answers a server error with a 500 page, as production does."""
    return Client(raise_request_exception=False)


@pytest.fixture
def payer(client):
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    FeeFactory(permit=permit)
    user = contractor_user(license, can_pay=True, can_manage=True)
    client.force_login(user)
    client.post(reverse("payments:cart_add", args=[permit.number]))
    return user


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("9223372036854775807", 2**63 - 1),
        (HUGE, None),
        ("9223372036854775808", None),
        ("0", None),
        ("-3", None),
        ("²", None),
        ("1_000", None),
        ("٣", None),  # an Arabic-Indic digit: int() takes it, an id does not
        ("", None),
        (None, None),
        ("9" * 5000, None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("page", ["9" * 5000, str(10**30)])
def test_a_page_number_of_any_length_shows_the_last_page(client, page):
    PermitFactory(street_name="Oak St")
    response = client.get(reverse("permits:search"), {"address": "oak", "page": page})
    assert response.status_code == 200
    assert "There is no page" in response.text
    assert response.context["page"].number == 1


@pytest.mark.parametrize("choice", ["trust:²", f"trust:{HUGE}", "trust:-1"])
def test_checkout_with_a_damaged_trust_account_choice(client, payer, choice):
    response = client.post(
        reverse("payments:checkout"), {"choice": choice, "key": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert "Choose how to pay." in response.text


def test_removing_a_permit_past_any_id_from_the_cart(client, payer):
    response = client.post(reverse("payments:cart"), {"permit": HUGE})
    assert response.status_code == 404


def test_adding_ids_past_any_id_to_a_collection(client, payer):
    response = client.post(
        reverse("permits:collection_add"), {"permit": [HUGE, "²"], "add": "1", "new_name": "x"}
    )
    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("Select at least one permit" in message for message in messages)


def test_a_damaged_finish_token_is_ignored(client):
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    client.force_login(contractor_user(license))
    response = client.post(
        reverse("inspections:request_notes", args=[permit.number]), {"token": "nope"}
    )
    # No request under way for this permit: back to the first step, as for any stale click.
    assert response.status_code == 302
    assert response.url == reverse("inspections:request", args=[permit.number])


def test_the_admin_queue_and_route_take_damaged_arguments(client):
    make_inspector("ivy")
    client.force_login(UserFactory(username="chief", is_staff=True, is_superuser=True))
    queue = client.get(reverse("admin:inspections_inspection_queue"), {"area": "²"})
    route = client.get(reverse("admin:inspections_inspection_route"), {"inspector": "abc"})
    search = client.get(reverse("admin:inspections_inspection_changelist"), {"q": "INS-²"})
    assert (queue.status_code, route.status_code, search.status_code) == (200, 200, 200)


def test_a_name_typed_at_sign_in_cannot_forge_a_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    client.post(
        reverse("account_login"),
        {"login": "mallory\nsign-in: user=admin ip=1.2.3.4", "password": "wrong-password-123"},
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert lines and all("\n" not in line for line in lines)
