import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from licenses.importers import import_licenses
from licenses.models import Contractor, License, LicenseStatus

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "licenses.csv"
HEADER = "license_number,license_type,business_name,contact_name,address,city,state,zip,phone,email,status,issued_on,expires_on\n"


def write(tmp_path, body: str, name: str = "licenses.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def test_the_sample_file_loads(capsys):
    call_command("import_licenses", str(SAMPLE))
    out = capsys.readouterr().out
    assert "Created: 8" in out and "Rejected: 0" in out
    assert License.objects.count() == 8
    # One business holding two licenses is one contractor.
    svelectric = Contractor.objects.get(business_name="Sangamon Valley Electric")
    assert sorted(svelectric.licenses.values_list("number", flat=True)) == ["EC61001", "EC61002"]
    # A number given without its prefix gets it.
    assert License.objects.get(number="PC61003").holder.business_name == "Illini Plumbing & Drain"
    assert License.objects.get(number="GC61007").status == LicenseStatus.SUSPENDED
    assert License.objects.get(number="EC61002").issued_on == datetime.date(2022, 3, 1)


def test_a_second_run_updates_in_place(tmp_path):
    import_licenses(SAMPLE)
    report = import_licenses(SAMPLE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 8)
    changed = write(
        tmp_path,
        "EC61001,EC,Sangamon Valley Electric,Rosa Diaz,1 New Rd,Springfield,IL,62702,(217) 555-0299,"
        "office@svelectric.example,suspended,2022-03-01,2027-02-28\n",
    )
    report = import_licenses(changed)
    assert report.updated == 1
    license = License.objects.get(number="EC61001")
    assert license.status == LicenseStatus.SUSPENDED
    assert license.holder.address == "1 New Rd"
    assert License.objects.count() == 8


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_load(tmp_path):
    path = write(
        tmp_path,
        "EC70001,EC,Good Electric,,,,,,,,active,,\n"
        ",EC,No Number Electric,,,,,,,,active,,\n"
        "EC70002,EC,,,,,,,,,active,,\n"
        "PC70003,EC,Wrong Prefix,,,,,,,,active,,\n"
        "EC70004,Electricalish,Bad Type,,,,,,,,active,,\n"
        "EC70005,EC,Bad Date,,,,,,,,active,2024-02-31,\n"
        "EC70006,EC,Bad Status,,,,,,,,pending-ish,,\n"
        "EC70007,EC,Bad Email,,,,,,,not-an-email,active,,\n"
        "EC70008,EC,Bad State,,,,Illinois,,,,active,,\n"
        "EC70009,EC,Backwards,,,,,,,,active,2025-01-01,2024-01-01\n"
        "EC70010,EC,Also Good,,,,,,,,,,\n",
    )
    report = import_licenses(path)
    assert report.created == 2
    reasons = dict(report.rejected)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "license_number is empty" in reasons[3]
    assert "business_name is empty" in reasons[4]
    assert "prefix EC" in reasons[5]
    assert "two-letter prefix" in reasons[6]
    assert "is not a date" in reasons[7]
    assert "pending-ish" in reasons[8]
    assert "email" in reasons[9]
    assert "state" in reasons[10]
    assert "before issued_on" in reasons[11]
    assert set(License.objects.values_list("number", flat=True)) == {"EC70001", "EC70010"}


def test_an_unknown_two_letter_type_is_created_and_reported(tmp_path):
    path = write(tmp_path, "FP100,FP,Fire Sprinklers Co,,,,,,,,active,,\n")
    report = import_licenses(path)
    assert report.created == 1
    assert any("new license type FP" in note for note in report.notes)


def test_an_expired_date_without_status_reads_as_expired(tmp_path):
    path = write(tmp_path, "EC80001,EC,Old Electric,,,,,,,,,2010-01-01,2012-01-01\n")
    import_licenses(path)
    assert License.objects.get(number="EC80001").status == LicenseStatus.EXPIRED


def test_a_file_that_is_not_csv_is_one_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CommandError, match="not a CSV file"):
        call_command("import_licenses", str(path))
    assert not License.objects.exists()


def test_a_file_without_the_key_columns_is_one_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,phone\nBob,555\n")
    with pytest.raises(CommandError, match="no license_number, license_type, business_name column"):
        call_command("import_licenses", str(path))
    assert not Contractor.objects.exists()


def test_a_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_licenses", str(tmp_path / "nope.csv"))


def test_an_import_moves_a_license_only_as_the_city_does(tmp_path):
    """A revoked license stays revoked: the row is rejected with the reason; a suspension is a
    move recorded as the import."""
    from tests.factories import moves

    row = "EC70001,EC,Volt Works,,,,,,,,{status},,\n"
    import_licenses(write(tmp_path, row.format(status="active")))
    report = import_licenses(write(tmp_path, row.format(status="suspended")))
    assert report.updated == 1
    created, change = [move for license in License.objects.all() for move in moves(license)]
    assert (created.from_status, created.to_status, created.note) == (
        "",
        "active",
        "License import",
    )
    assert (change.from_status, change.to_status, change.note) == (
        "active",
        "suspended",
        "License import",
    )
    # A new license in another status than Active starts Active and moves there, recorded.
    import_licenses(write(tmp_path, "EC70002,EC,Volt Two,,,,,,,,suspended,,\n"))
    second = License.objects.get(number="EC70002")
    assert second.status == LicenseStatus.SUSPENDED
    assert [(m.from_status, m.to_status) for m in moves(second)] == [
        ("", "active"),
        ("active", "suspended"),
    ]
    License.objects.filter(number="EC70001").update(status=LicenseStatus.REVOKED)
    report = import_licenses(write(tmp_path, row.format(status="active")))
    assert License.objects.get(number="EC70001").status == LicenseStatus.REVOKED
    assert "Revoked and cannot become Active" in report.rejected[0][1]


# Issue 12, finding 3: a business is never found by its name alone.


def test_a_business_with_the_same_name_is_not_merged_with_another(tmp_path):
    from tests.factories import ContractorFactory, MembershipFactory, UserFactory

    acme = ContractorFactory(
        business_name="Acme Builders", email="office@acme.example", phone="(217) 555-0100"
    )
    member = UserFactory()
    MembershipFactory(user=member, contractor=acme)
    report = import_licenses(
        write(
            tmp_path,
            "GC70001,GC,ACME BUILDERS,Pat Smith,9 Far Rd,Peoria,IL,61602,(309) 555-0111,"
            "pat@other-acme.example,active,,\n",
        )
    )
    assert report.created == 1
    new_license = License.objects.get(number="GC70001")
    assert new_license.holder != acme
    assert new_license.holder.business_name == "ACME BUILDERS"
    assert not acme.licenses.exists()
    acme.refresh_from_db()
    assert acme.email == "office@acme.example"  # the other company's details stay its own
    assert (
        "license GC70001, “ACME BUILDERS”: same name as an existing business: created "
        "separately, merge in admin if they are one"
    ) in report.notes


def test_a_business_with_no_details_to_tell_it_by_is_not_merged_by_name(tmp_path):
    from tests.factories import ContractorFactory

    acme = ContractorFactory(business_name="Acme Builders", email="", phone="", address="")
    import_licenses(write(tmp_path, "GC70001,GC,Acme Builders,,,,,,,,active,,\n"))
    assert License.objects.get(number="GC70001").holder != acme


@pytest.mark.parametrize(
    "row",
    [
        "GC70001,GC,acme builders,,,,,,,office@acme.example,active,,\n",  # the same email
        "GC70001,GC,acme builders,,,,,,217.555.0100,,active,,\n",  # the same phone
        "GC70001,GC,acme builders,,12 Main St.,Springfield,IL,62701,,,active,,\n",  # address
    ],
)
def test_a_second_license_of_a_business_on_record_joins_it(tmp_path, row):
    from tests.factories import ContractorFactory

    acme = ContractorFactory(
        business_name="Acme Builders",
        email="office@acme.example",
        phone="(217) 555-0100",
        address="12 MAIN ST",
        zip_code="62701",
    )
    report = import_licenses(write(tmp_path, row))
    assert report.rejected == []
    assert License.objects.get(number="GC70001").holder == acme
    assert not any("same name" in note for note in report.notes)
