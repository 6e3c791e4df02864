"""Bad input on search: the form comes back with a clear message, never a 500."""

import pytest
from django.urls import reverse

from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("permits:search")


def errors(response) -> dict:
    return response.context["form"].errors


@pytest.mark.parametrize(
    "value", ["2024-13-01", "31/31/2024", "yesterday", "2024-02-30", "0000-01-01"]
)
def test_malformed_dates_get_a_message(client, value):
    response = client.get(SEARCH, {"applied_from": value})
    assert response.status_code == 200
    assert "applied_from" in errors(response)
    assert "YYYY-MM-DD" in response.text or "after 1900" in response.text
    assert response.context["page"] is None


def test_a_date_before_1900_gets_a_message(client):
    response = client.get(SEARCH, {"applied_from": "1066-10-14"})
    assert "Enter a date after 1900." in errors(response)["applied_from"]


def test_reversed_dates_get_a_message_and_keep_what_was_typed(client):
    response = client.get(
        SEARCH, {"address": "oak", "applied_from": "2025-05-01", "applied_to": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "is after the" in response.text
    assert 'value="oak"' in response.text
    assert 'value="2025-05-01"' in response.text


def test_a_page_beyond_the_last_shows_the_last_page_with_a_message(client):
    for n in range(30):
        PermitFactory(number=f"RES25-{n:05d}")
    response = client.get(SEARCH, {"address": "oak", "page": "999"})
    assert response.status_code == 200
    assert response.context["page"].number == 2
    assert "There is no page 999" in response.text


@pytest.mark.parametrize("page_number", ["abc", "-3", "0", "1e9", "９", "%00"])
def test_a_page_that_is_not_a_page_number_gets_a_message(client, page_number):
    PermitFactory()
    response = client.get(SEARCH, {"address": "oak", "page": page_number})
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert "showing the first page" in response.text


def test_a_page_past_the_end_of_no_results_is_still_a_page(client):
    response = client.get(SEARCH, {"address": "nothing-matches", "page": "5"})
    assert response.status_code == 200
    assert "0 permits found" in response.text


def test_over_long_values_get_a_message(client):
    response = client.get(
        SEARCH, {"address": "x" * 5000, "permit_number": "R" * 500, "license_number": "E" * 100}
    )
    assert response.status_code == 200
    form_errors = errors(response)
    assert "at most 100 characters" in form_errors["address"][0]
    assert "permit_number" in form_errors and "license_number" in form_errors


@pytest.mark.parametrize(
    "params",
    [
        {"address": "oak\x00st"},
        {"permit_number": "RES'; DROP TABLE permits_permit;--"},
        {"license_number": "<script>alert(1)</script>"},
        {"address": "\u202e\u0000"},
        {"permit_type": "NOPE"},
        {"address": "😀 Oak"},
        {"unknown_param": "1", "address": "oak"},
    ],
)
def test_odd_query_strings_never_500(client, params):
    PermitFactory()
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_odd_permit_number_gets_a_message(client):
    response = client.get(SEARCH, {"permit_number": "RES'; DROP TABLE"})
    assert "only letters, digits and dashes" in response.text


def test_an_unknown_status_gets_a_message(client):
    response = client.get(SEARCH, {"status": "approved-ish"})
    assert response.status_code == 200
    assert "Choose a status from the list." in errors(response)["status"]


def test_an_unknown_permit_type_gets_a_message(client):
    response = client.get(SEARCH, {"permit_type": "ZZZ"})
    assert "Choose a permit type from the list." in errors(response)["permit_type"]


def test_csv_with_bad_input_shows_the_form_not_a_file(client):
    response = client.get(reverse("permits:search_csv"), {"applied_from": "nope"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.text


def test_an_unknown_permit_is_a_404_page(client):
    response = client.get(reverse("permits:detail", args=["NOPE-1"]))
    assert response.status_code == 404


def test_search_answers_only_get(client):
    assert client.post(SEARCH, {"address": "oak"}).status_code == 405


def test_a_permit_number_with_a_slash_on_record_never_breaks_the_search(client):
    """A city's older records may hold a `/` in a number (imports and admin refuse one now):
    the results page links it, and the link opens the permit."""
    permit = PermitFactory(number="BLD25/0001")
    response = client.get(SEARCH, {"permit_number": "BLD25", "applied_from": ""})
    assert response.status_code == 200
    url = reverse("permits:detail", args=[permit.number])
    assert url == "/permits/BLD25%252F0001/"
    assert f'href="{url}"' in response.text
    assert response.context["page"].paginator.count == 1
    detail = client.get(url)
    assert detail.status_code == 200 and detail.context["permit"] == permit
    # Only what the link encodes is decoded: a typed "%00" never reaches the database as NUL.
    assert client.get("/permits/BLD25%2500/").status_code == 404


def test_the_model_refuses_a_permit_number_a_url_cannot_carry():
    from django.core.exceptions import ValidationError

    permit = PermitFactory.build(number="BLD25/0001")
    with pytest.raises(ValidationError) as refused:
        permit.full_clean(exclude=["permit_type"])
    assert "letters, digits, hyphens, dots and underscores only" in str(
        refused.value.message_dict["number"]
    )


def test_every_character_a_permit_number_may_hold_can_be_searched(client):
    PermitFactory(number="RES_25.0001")
    response = client.get(SEARCH, {"permit_number": "res_25.0", "applied_from": ""})
    assert [permit.number for permit in response.context["page"]] == ["RES_25.0001"]
