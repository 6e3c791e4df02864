import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from licenses.importers import import_licenses
from permits.importers import import_permits, parse_row
from permits.models import Fee, FeeStatus, Permit, PermitStatus, PermitType
from tests.factories import PermitFactory, PermitTypeFactory, moves

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
HEADER = (
    "PermitNum,Description,AppliedDate,IssuedDate,CompletedDate,StatusCurrent,OriginalAddress1,"
    "OriginalAddress2,OriginalCity,OriginalState,OriginalZip,PermitType,PermitTypeDesc,"
    "EstProjectCost,ContractorCompanyName,ContractorLicNum,ExpiresDate,PIN,Fee\n"
)


def write(tmp_path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "permits.csv"
    path.write_text(header + body)
    return path


@pytest.fixture
def permit_types():
    for code, name in [
        ("RES", "Residential Building"),
        ("ELE", "Electrical"),
        ("PLM", "Plumbing"),
        ("MEC", "Mechanical"),
        ("COM", "Commercial Building"),
        ("ROF", "Roofing"),
        ("DEM", "Demolition"),
    ]:
        PermitTypeFactory(code=code, name=name)


def test_the_sample_blds_file_loads(capsys, permit_types):
    import_licenses(SAMPLES / "licenses.csv")
    call_command("import_permits", str(SAMPLES / "permits_blds.csv"))
    out = capsys.readouterr().out
    assert "Created: 12" in out and "Rejected: 0" in out
    permit = Permit.objects.get(number="ELE25-2001")
    assert permit.status == PermitStatus.ISSUED  # "Inspection Phase"
    assert permit.street_number == "742" and permit.street_name == "N GRAND AVE E"
    assert permit.valuation == Decimal("6800.00")
    assert permit.issued_on == datetime.date(2025, 9, 10)
    assert list(permit.licenses.values_list("number", flat=True)) == ["EC61001"]
    assert permit.fees.get().amount == Decimal("215.00")
    assert permit.fees.get().status == FeeStatus.PAID
    # Dates in US form and ISO date-times; statuses in the cities' own words.
    plumbing = Permit.objects.get(number="PLM25-2003")
    assert plumbing.applied_on == datetime.date(2025, 8, 19)
    assert plumbing.unit == "2"
    assert plumbing.status == PermitStatus.FINALED
    assert Permit.objects.get(number="ELE25-2002").applied_on == datetime.date(2025, 10, 14)
    assert Permit.objects.get(number="ROF25-2008").status == PermitStatus.FINALED  # "Closed"
    assert Permit.objects.get(number="PLM25-2012").status == PermitStatus.IN_REVIEW  # "Plan Check"
    assert Permit.objects.get(number="COM25-2007").status == PermitStatus.READY_TO_ISSUE
    assert Permit.objects.get(number="COM25-2007").fees.get().status == FeeStatus.DUE
    # A license number without its prefix finds its license.
    assert Permit.objects.get(number="PLM25-2003").licenses.get().number == "PC61003"
    # Unknown types and licenses are reported, not dropped.
    assert "new permit type “Sign Permit”" in out
    assert "license EC99999 is not on record" in out
    assert Permit.objects.get(number="SGN25-2010").permit_type.name == "Sign Permit"
    # Every imported permit has the start of its status history.
    imported = [move for permit in Permit.objects.all() for move in moves(permit)]
    assert [move.note for move in imported] == ["Imported from permits_blds.csv"] * 12


def test_a_second_run_upserts_by_permit_number(tmp_path, permit_types):
    path = write(
        tmp_path,
        "RES25-0001,Deck,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,100\n",
    )
    report = import_permits(path)
    assert report.created == 1
    report = import_permits(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    path = write(
        tmp_path,
        "RES25-0001,Deck,2025-01-02,2025-01-20,,Permit Issued,12 Elm St,,Springfield,IL,62704,RES,,5000,,,2026-01-20,,150\n",
    )
    report = import_permits(path)
    assert report.updated == 1
    permit = Permit.objects.get()
    assert permit.status == PermitStatus.ISSUED
    assert permit.issued_on == datetime.date(2025, 1, 20)
    assert Fee.objects.get().amount == Decimal("150.00")
    assert Fee.objects.get().status == FeeStatus.PAID
    assert [(move.from_status, move.to_status) for move in moves(permit)] == [
        ("", "in_review"),
        ("in_review", "issued"),
    ]
    # The import's moves are events, as a clerk's are: the issue one named as such.
    assert [move.event_type for move in moves(permit)] == ["permit.status_changed", "permit.issued"]


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_load(tmp_path, permit_types):
    path = write(
        tmp_path,
        "RES25-0001,Good,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        ",No number,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0003,Bad date,2025-13-45,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0004,Bad cost,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,lots,,,,,\n"
        "RES25-0005,Negative fee,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,-5\n"
        "RES25-0006,No address,2025-01-02,,,In Review,,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0007,No type,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,,,5000,,,,,\n"
        "RES25-0008,Bad state,2025-01-02,,,In Review,12 Elm St,,Springfield,Illinois,62704,RES,,5000,,,,,\n"
        "RES 25/0009!,Bad number,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0010,No dates,,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0011,Too many,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,,extra,extra\n"
        "RES25-0012,Also good,01/05/2025,,,Application Accepted,14 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n",
    )
    report = import_permits(path)
    assert report.created == 2
    reasons = dict(report.rejected)
    assert sorted(reasons) == list(range(3, 13))
    assert "PermitNum is empty" in reasons[3]
    assert "AppliedDate" in reasons[4] and "not a date" in reasons[4]
    assert "EstProjectCost" in reasons[5]
    assert "Fee" in reasons[6] and "negative" in reasons[6]
    assert "OriginalAddress1 is empty" in reasons[7]
    assert "PermitType is empty" in reasons[8]
    assert "OriginalState" in reasons[9]
    assert "characters a permit number cannot have" in reasons[10]
    assert "AppliedDate is empty" in reasons[11]
    assert "fields but the header has" in reasons[12]
    assert set(Permit.objects.values_list("number", flat=True)) == {"RES25-0001", "RES25-0012"}


def test_unknown_statuses_are_mapped_by_their_dates_and_reported(tmp_path, permit_types):
    path = write(
        tmp_path,
        "RES25-0001,x,2025-01-02,2025-01-09,,Zorbled,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0002,x,2025-01-02,,,Zorbled,14 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n",
    )
    report = import_permits(path)
    assert Permit.objects.get(number="RES25-0001").status == PermitStatus.ISSUED
    assert Permit.objects.get(number="RES25-0002").status == PermitStatus.SUBMITTED
    assert any("unknown status “Zorbled”" in note for note in report.notes)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Application Accepted", PermitStatus.SUBMITTED),
        ("Fees/Payment", PermitStatus.READY_TO_ISSUE),
        ("In Review", PermitStatus.IN_REVIEW),
        ("Permit Issued", PermitStatus.ISSUED),
        ("Inspection Phase", PermitStatus.ISSUED),
        ("Permit Finaled", PermitStatus.FINALED),
        ("Permit Finaled with Conditions", PermitStatus.FINALED),
        ("Occupancy", PermitStatus.FINALED),
        ("Appeal", PermitStatus.IN_REVIEW),
        ("Permit Cancelled", PermitStatus.CANCELLED),
        ("  permit   ISSUED ", PermitStatus.ISSUED),
        ("Void", PermitStatus.CANCELLED),
        ("Plan Review", PermitStatus.IN_REVIEW),
        ("Pending Approval", PermitStatus.PENDING_APPROVAL),
        ("Ready to Issue", PermitStatus.READY_TO_ISSUE),
        ("Expired", PermitStatus.EXPIRED),
    ],
)
def test_blds_and_city_status_words(words, expected):
    from core.importing import ImportReport

    row = {"PermitNum": "X1", "StatusCurrent": words}
    parsed = parse_row(2, row, {"PermitNum", "StatusCurrent"}, ImportReport())
    assert parsed.status == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-31", datetime.date(2025, 3, 31)),
        ("2025-03-31T00:00:00.000", datetime.date(2025, 3, 31)),
        ("2025-03-31 14:05:00", datetime.date(2025, 3, 31)),
        ("03/31/2025", datetime.date(2025, 3, 31)),
        ("3/31/25", datetime.date(2025, 3, 31)),
        ("03-31-2025", datetime.date(2025, 3, 31)),
        ("03/31/2025 10:15 AM", datetime.date(2025, 3, 31)),
        ("2025/03/31", datetime.date(2025, 3, 31)),
    ],
)
def test_dates_in_iso_and_us_forms(text, expected):
    from core.importing import parse_date

    assert parse_date(text, "AppliedDate") == expected


def test_a_utc_timestamp_is_read_in_the_citys_time_zone():
    from core.importing import parse_date

    # 03:00 UTC on 1 April is still 31 March in Springfield (UTC-5 in spring).
    assert parse_date("2025-04-01T03:00:00Z", "AppliedDate") == datetime.date(2025, 3, 31)


def test_a_duplicate_permit_number_in_one_file_keeps_the_later_row(tmp_path, permit_types):
    path = write(
        tmp_path,
        "RES25-0001,first,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
        "RES25-0001,second,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n",
    )
    report = import_permits(path)
    assert Permit.objects.get().description == "second"
    assert any("appears more than once" in note for note in report.notes)


def test_an_update_needs_only_the_columns_it_changes(tmp_path):
    permit = PermitFactory(number="RES25-0001", description="old", street_name="Oak St")
    path = write(tmp_path, "RES25-0001,Permit Finaled\n", header="PermitNum,StatusCurrent\n")
    report = import_permits(path)
    assert report.updated == 1
    permit.refresh_from_db()
    assert permit.status == PermitStatus.FINALED
    assert permit.description == "old" and permit.street_name == "Oak St"


def test_a_new_permit_type_is_made_once_for_many_rows(tmp_path):
    path = write(
        tmp_path,
        "FNC25-0001,Fence,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,Fence,Fence Permit,500,,,,,\n"
        "FNC25-0002,Fence,2025-01-02,,,In Review,14 Elm St,,Springfield,IL,62704,Fence,Fence Permit,500,,,,,\n",
    )
    report = import_permits(path)
    assert report.created == 2
    assert PermitType.objects.filter(name="Fence Permit").count() == 1


def test_many_rows_load_in_batches(tmp_path, permit_types):
    rows = "".join(
        f"RES25-{n:05d},x,2025-01-02,,,In Review,{n} Elm St,,Springfield,IL,62704,RES,,5000,,,,,10\n"
        for n in range(1234)
    )
    report = import_permits(write(tmp_path, rows))
    assert report.created == 1234
    assert Permit.objects.count() == 1234 and Fee.objects.count() == 1234


def test_a_file_that_is_not_csv_is_one_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "permits.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
    with pytest.raises(CommandError, match="not a CSV file"):
        call_command("import_permits", str(path))
    assert not Permit.objects.exists()


def test_a_file_without_permitnum_is_one_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "permits.csv"
    path.write_text("Number,Address\nRES1,12 Elm St\n")
    with pytest.raises(CommandError, match="no PermitNum column"):
        call_command("import_permits", str(path))
    assert not Permit.objects.exists() and not PermitType.objects.exists()


def test_an_empty_file_is_one_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(CommandError, match="is empty"):
        call_command("import_permits", str(path))


def test_a_windows_code_page_file_loads(tmp_path, permit_types):
    path = tmp_path / "permits.csv"
    path.write_bytes(
        HEADER.encode()
        + "RES25-0001,Café remodel – phase 2,2025-01-02,,,In Review,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n".encode(
            "cp1252"
        )
    )
    import_permits(path)
    assert Permit.objects.get().description == "Café remodel – phase 2"


def test_a_row_only_the_database_refuses_is_rejected_and_the_batch_still_loads(
    tmp_path, permit_types, monkeypatch
):
    from django.db import IntegrityError

    real_bulk_create = Permit.objects.bulk_create

    def refuse_one(objs, *args, **kwargs):
        if any(permit.number == "RES25-0002" for permit in objs):
            raise IntegrityError("permit_valuation_gte_0 violated")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Permit.objects, "bulk_create", refuse_one)
    path = write(
        tmp_path,
        "".join(
            f"RES25-000{n},x,2025-01-02,,,In Review,{n} Elm St,,Springfield,IL,62704,RES,,5000,,,,,10\n"
            for n in range(1, 4)
        ),
    )
    report = import_permits(path)
    assert report.created == 2
    assert report.rejected == [(3, "not saved: permit_valuation_gte_0 violated")]
    assert sorted(Permit.objects.values_list("number", flat=True)) == ["RES25-0001", "RES25-0003"]
    assert Fee.objects.count() == 2


ISSUED_ROW = "RES25-0001,Deck,2025-01-02,2025-01-20,,Permit Issued,12 Elm St,,Springfield,IL,62704,RES,,5000,,,2026-01-20,,{fee}\n"


def test_a_re_import_moves_status_only_where_the_status_machine_reaches(tmp_path, permit_types):
    """A finaled permit is not issued again by a re-import: the move is refused, reported, and
    the rest of the row still applies; the move made here by a clerk stands."""
    import_permits(write(tmp_path, ISSUED_ROW.format(fee="150")))
    permit = Permit.objects.get()
    permit.move_to(PermitStatus.FINALED, note="Final inspection passed")
    report = import_permits(
        write(tmp_path, ISSUED_ROW.format(fee="150").replace("Deck", "Deck and stairs"))
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.FINALED
    assert permit.description == "Deck and stairs"
    assert any(
        "RES25-0001 is Finaled here and cannot become Issued" in note for note in report.notes
    )


def test_a_re_import_never_changes_the_amount_of_a_paid_fee(tmp_path, permit_types):
    import_permits(write(tmp_path, ISSUED_ROW.format(fee="150")))
    fee = Fee.objects.get()
    assert fee.status == FeeStatus.PAID
    report = import_permits(write(tmp_path, ISSUED_ROW.format(fee="999")))
    fee.refresh_from_db()
    assert fee.amount == Decimal("150.00")
    assert any("was not applied" in note for note in report.notes)


def test_a_re_import_never_changes_the_amount_of_a_fee_a_payment_holds(tmp_path, permit_types):
    from payments.models import Payment, PaymentLine
    from tests.factories import UserFactory

    row = ISSUED_ROW.replace("Permit Issued", "In Review")
    import_permits(write(tmp_path, row.format(fee="150")))
    fee = Fee.objects.get()
    assert fee.status == FeeStatus.DUE
    payment = Payment.objects.create(
        user=UserFactory(),
        method="card",
        provider="stripe",
        fees_total=fee.amount,
        total=fee.amount,
    )
    PaymentLine.objects.create(payment=payment, fee=fee, amount=fee.amount)
    report = import_permits(write(tmp_path, row.format(fee="999")))
    fee.refresh_from_db()
    assert fee.amount == Decimal("150.00")
    assert any(f"held by payment {payment.pk}" in note for note in report.notes)


# Issue 12, finding 3: an import never changes what its file does not say, and never loses rows
# without a reason.

ROW = (
    "RES25-{n:04d},Deck,2025-01-02,,,In Review,{n} Elm St,,Springfield,IL,62704,RES,,5000,,,,,10\n"
)


def test_a_short_row_is_rejected_and_never_blanks_the_permits_address_and_valuation(
    tmp_path, permit_types
):
    import_permits(write(tmp_path, ROW.format(n=1)))
    report = import_permits(write(tmp_path, "RES25-0001,Deck and stairs,2025-01-02\n"))
    permit = Permit.objects.get()
    assert (permit.street_number, permit.street_name) == ("1", "Elm St")
    assert permit.valuation == Decimal("5000.00")
    assert permit.description == "Deck"
    assert report.updated == 0
    [(line, reason)] = report.rejected
    assert line == 2
    assert "has 3 fields but the header has 19" in reason and "nothing in it was applied" in reason


def test_an_unclosed_quote_loses_only_its_own_line_and_says_so(tmp_path, permit_types):
    rows = [ROW.format(n=n) for n in range(1, 201)]
    rows[1] = rows[1].replace(",Deck,", ',"Deck with a rail,')  # the quote is never closed
    report = import_permits(write(tmp_path, "".join(rows)))
    assert report.created == 199
    assert report.rejected == [
        (
            3,
            "a quote opened on this line is not closed (it ran on over the next 198 lines, to "
            "line 201): this line was not loaded; the lines after it were read as rows",
        )
    ]
    assert Permit.objects.count() == 199
    assert not Permit.objects.filter(number="RES25-0002").exists()
    assert Permit.objects.get(number="RES25-0200").description == "Deck"


def test_an_unclosed_quote_closed_by_a_later_quote_is_still_found(tmp_path, permit_types):
    rows = [ROW.format(n=n) for n in range(1, 11)]
    rows[1] = rows[1].replace(",Deck,", ',"Deck with a rail,')
    # A later quoted value closes it, and the record happens to come out with the header's
    # number of fields: the commas of whole rows inside one value give it away.
    rows[6] = rows[6].replace(",Deck,", ',"Deck",')
    rows[6] = rows[6].replace("7 Elm St,", "7 Elm St,x")
    report = import_permits(write(tmp_path, "".join(rows)))
    [(line, reason)] = report.rejected
    assert line == 3 and "a quote opened on this line is not closed" in reason
    assert report.created == 9


def test_a_runaway_quote_past_the_field_size_limit_loses_only_its_line(
    tmp_path, permit_types, monkeypatch
):
    monkeypatch.setattr("core.importing.MAX_FIELD_SIZE", 2_000)
    rows = [ROW.format(n=n) for n in range(1, 201)]
    rows[0] = rows[0].replace(",Deck,", ',"Deck with a rail,')
    report = import_permits(write(tmp_path, "".join(rows)))
    [(line, reason)] = report.rejected
    assert line == 2
    assert "field larger than field limit" in reason and "this line was not loaded" in reason
    assert report.created == 199


def test_a_quoted_value_over_several_lines_still_loads(tmp_path, permit_types):
    body = ROW.format(n=1).replace(",Deck,", ',"Deck, stairs\nand a rail, to code",') + ROW.format(
        n=2
    )
    report = import_permits(write(tmp_path, body))
    assert report.rejected == [] and report.created == 2
    assert Permit.objects.get(number="RES25-0001").description == (
        "Deck, stairs\nand a rail, to code"
    )
    # The next row's line number is counted in the file's lines, not in records.
    bad = body + ROW.format(n=3).replace("2025-01-02", "2025-13-45")
    assert [line for line, _ in import_permits(write(tmp_path, bad)).rejected] == [5]


@pytest.mark.parametrize("number", ["BLD25/0001", "BLD25%0001", "BLD25?1", "-BLD1", "BLD 1"])
def test_a_permit_number_a_url_cannot_carry_is_rejected(tmp_path, permit_types, number):
    report = import_permits(write(tmp_path, ROW.format(n=1).replace("RES25-0001", number)))
    assert report.created == 0
    [(line, reason)] = report.rejected
    assert line == 2 and "characters a permit number cannot have" in reason
    assert not Permit.objects.exists()


def test_a_permit_imported_as_expired_cancels_its_scheduled_inspections_and_tells_them(
    tmp_path, permit_types, django_capture_on_commit_callbacks
):
    """Issue 11, requirement 3: an import moves statuses as `move_to` does: the apps above
    hear of it, so an expired permit's scheduled inspections are cancelled and the requester
    emailed, exactly as when the nightly job expires it."""
    from django.core import mail

    from inspections.models import InspectionStatus
    from tests.factories import InspectionFactory, UserFactory

    import_permits(write(tmp_path, ISSUED_ROW.format(fee="150")))
    permit = Permit.objects.get()
    requester = UserFactory(email="pat@example.com")
    inspection = InspectionFactory(permit=permit, requested_by=requester)
    expired = ISSUED_ROW.format(fee="150").replace("Permit Issued", "Expired")
    with django_capture_on_commit_callbacks(execute=True):
        import_permits(write(tmp_path, expired))
    permit.refresh_from_db()
    inspection.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
    assert inspection.status == InspectionStatus.CANCELLED
    assert any(m.to == ["pat@example.com"] and "cancel" in m.subject.lower() for m in mail.outbox)


def test_a_permit_imported_as_issued_without_dates_gets_them_as_issuing_sets_them(
    tmp_path, permit_types, settings
):
    settings.PERMIT_EXPIRY_DAYS = 180
    no_expiry = "RES25-0002,Deck,2025-01-02,2025-01-20,,Permit Issued,12 Elm St,,Springfield,IL,62704,RES,,5000,,,,,\n"
    import_permits(write(tmp_path, no_expiry))
    permit = Permit.objects.get(number="RES25-0002")
    assert permit.issued_on == datetime.date(2025, 1, 20)
    assert permit.expires_on == datetime.date(2025, 1, 20) + datetime.timedelta(days=180)
    # The file's own expiry date stands.
    import_permits(write(tmp_path, ISSUED_ROW.format(fee="")))
    assert Permit.objects.get(number="RES25-0001").expires_on == datetime.date(2026, 1, 20)


def test_an_imports_bulk_writes_are_in_the_audit_trail(tmp_path, permit_types):
    """Issue 12, requirement 3: the audit trail sees an import's changes (written in bulk,
    which auditlog's signals do not see), field by field, marked as the import's."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    row = ISSUED_ROW.replace("Permit Issued", "In Review")  # its fee due, so its amount moves
    import_permits(write(tmp_path, row.format(fee="150")))
    permit = Permit.objects.get()
    permits = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Permit), object_id=permit.pk
    )
    assert permits.filter(action=LogEntry.Action.CREATE).count() == 1
    fee = Fee.objects.get(permit=permit)
    import_permits(write(tmp_path, row.format(fee="175").replace("Deck", "Deck and stairs")))
    update = permits.filter(action=LogEntry.Action.UPDATE).get()
    assert update.changes["description"] == ["Deck", "Deck and stairs"]
    assert update.actor is None and "import" in update.additional_data
    fees = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Fee), object_id=fee.pk
    )
    amounts = [e.changes["amount"] for e in fees if e.changes and "amount" in e.changes]
    assert ["150.00", "175.00"] in amounts
