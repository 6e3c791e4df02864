"""Issue 13, requirement 12: a city that imported its permits can take inspection requests.
Permit types an import made have no inspections: the request page says why and whom to call,
admin finds those types, `import_inspection_types` loads the lists with a report, and a
city-wide list applies to every type without its own."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse

from inspections.exceptions import InspectionError
from inspections.importers import import_inspection_types
from inspections.models import InspectionType
from inspections.scheduling import allowed_days
from inspections.selectors import inspection_types_for
from inspections.services import inspection_request_create
from permits.models import PermitStatus
from tests.factories import (
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    PermitTypeFactory,
    UserFactory,
    contractor_user,
)

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "inspection_types.csv"


@pytest.fixture
def imported_type():
    return PermitTypeFactory(code="ELE", name="Electrical")


@pytest.fixture
def contractor_and_permit(client, imported_type):
    license = LicenseFactory()
    permit = PermitFactory(
        permit_type=imported_type, status=PermitStatus.ISSUED, licenses=[license]
    )
    user = contractor_user(license, can_inspect=True)
    client.force_login(user)
    return user, permit


def test_a_type_without_inspections_says_why_and_whom_to_call(client, contractor_and_permit):
    _, permit = contractor_and_permit
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "No inspections are set up online for Electrical permits yet" in page.text
    assert "(217) 555-0100" in page.text
    assert "Every inspection of this permit's type is already requested" not in page.text


def test_the_import_loads_lists_with_a_report_and_requests_follow(
    client, contractor_and_permit, imported_type, capsys
):
    user, permit = contractor_and_permit
    PermitTypeFactory(code="PLM", name="Plumbing")  # no list of its own: the city-wide one
    call_command("import_inspection_types", str(SAMPLE), "--no-progress")
    out = capsys.readouterr().out
    assert "Created: 6" in out and "Rejected: 0" in out
    assert [t.code for t in inspection_types_for(imported_type.pk)] == ["301", "302", "399"]
    from permits.models import PermitType

    plumbing = inspection_types_for(PermitType.objects.get(code="PLM").pk)
    assert [t.code for t in plumbing] == ["101", "105", "199"]
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "301 Rough Electrical" in page.text and "Footing" not in page.text
    inspection = inspection_request_create(
        user=user,
        permit=permit,
        inspection_type=InspectionType.objects.get(permit_type=imported_type, code="302"),
        day=allowed_days()[0],
        contact_name="Pat",
        contact_phone="2175550100",
    )
    assert inspection.inspection_type.name == "Service"
    # Again: nothing changes; a renamed one is updated.
    call_command("import_inspection_types", str(SAMPLE), "--no-progress")
    assert "Unchanged: 6" in capsys.readouterr().out


def test_a_city_wide_inspection_is_requested_on_a_type_without_its_own(
    client, contractor_and_permit
):
    user, permit = contractor_and_permit
    final = InspectionTypeFactory(permit_type=None, code="199", name="Final")
    page = client.get(reverse("inspections:request", args=[permit.number]))
    assert "199 Final" in page.text
    inspection = inspection_request_create(
        user=user,
        permit=permit,
        inspection_type=final,
        day=allowed_days()[0],
        contact_name="Pat",
        contact_phone="2175550100",
    )
    assert inspection.inspection_type == final
    # A type with its own list does not take the city-wide ones.
    own = InspectionTypeFactory(permit_type=permit.permit_type, code="301", name="Rough")
    with pytest.raises(InspectionError, match="Choose one of the inspections"):
        inspection_request_create(
            user=user,
            permit=permit,
            inspection_type=final,
            day=allowed_days()[1],
            contact_name="Pat",
            contact_phone="2175550100",
        )
    assert list(inspection_types_for(permit.permit_type_id)) == [own]


def test_bad_rows_are_rejected_with_their_line_and_the_rest_load(tmp_path):
    PermitTypeFactory(code="RES", name="Residential")
    path = tmp_path / "types.csv"
    path.write_text(
        "permit_type,inspection_code,inspection_name\n"
        "RES,101,Footing\n"
        "XYZ,101,Footing\n"
        "RES,,Nameless\n"
        "RES,102,\n"
        ",199,Final\n"
    )
    report = import_inspection_types(path)
    assert report.created == 2
    reasons = dict(report.rejected)
    assert "no permit type has the code XYZ" in reasons[3]
    assert reasons[4] == "inspection_code is empty"
    assert reasons[5] == "inspection_name is empty"


def test_a_file_without_the_columns_is_one_clear_error(tmp_path):
    path = tmp_path / "types.csv"
    path.write_text("code,name\n101,Footing\n")
    with pytest.raises(CommandError):
        call_command("import_inspection_types", str(path), "--no-progress")


def test_the_city_wide_list_takes_a_code_once():
    InspectionType.objects.create(permit_type=None, code="199", name="Final")
    with pytest.raises(IntegrityError):
        InspectionType.objects.create(permit_type=None, code="199", name="Final again")


def test_admin_lists_the_permit_types_without_inspections(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with_own = PermitTypeFactory(code="RES", name="Residential")
    InspectionTypeFactory(permit_type=with_own)
    imported = PermitTypeFactory(code="ELE", name="Electrical")
    url = reverse("admin:permits_permittype_changelist")
    listing = client.get(url, {"inspections": "none"})
    names = [str(t) for t in listing.context["cl"].result_list]
    assert any("Electrical" in n for n in names) and not any("Residential" in n for n in names)
    page = client.get(reverse("admin:permits_permittype_change", args=[imported.pk]))
    assert "inspection_types-TOTAL_FORMS" in page.text  # its list, edited on its page
