import pytest
from django.core.exceptions import ValidationError

from licenses.exceptions import InvalidLicenseStatusMove
from licenses.models import License, LicenseStatus, normalize_license_number
from tests.factories import LicenseFactory, LicenseTypeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "prefix", "expected"),
    [
        ("ec12345", "", "EC12345"),
        ("EC-12 345", "", "EC12345"),
        ("12345", "EC", "EC12345"),
        ("EC12345", "EC", "EC12345"),
        ("", "EC", ""),
    ],
)
def test_license_numbers_are_stored_with_their_prefix(raw, prefix, expected):
    assert normalize_license_number(raw, prefix) == expected


def test_clean_adds_the_prefix_and_refuses_another_types_prefix():
    electrical = LicenseTypeFactory(prefix="EC")
    license = LicenseFactory.build(license_type=electrical, number="12345")
    license.clean()
    assert license.number == "EC12345"
    wrong = LicenseFactory.build(license_type=electrical, number="PC12345")
    with pytest.raises(ValidationError, match="starts with EC"):
        wrong.clean()


def test_a_revoked_license_stays_revoked():
    license = LicenseFactory(status=LicenseStatus.REVOKED)
    with pytest.raises(InvalidLicenseStatusMove):
        license.move_to(LicenseStatus.ACTIVE)


def test_a_suspended_license_can_be_reinstated():
    license = LicenseFactory(status=LicenseStatus.SUSPENDED)
    license.move_to(LicenseStatus.ACTIVE)
    assert license.is_active


def test_the_moves_table_covers_every_status():
    assert set(License.ALLOWED_MOVES) == set(LicenseStatus.values)
