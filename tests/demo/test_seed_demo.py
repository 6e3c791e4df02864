import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from demo.seed import DEMO_PASSWORDS
from inspections.models import Inspection
from licenses.models import Contractor, License
from permits.models import Fee, FeeStatus, Permit, PermitStatus

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "permits": sorted(Permit.objects.values_list("number", "status", "applied_on")),
        "fees": Fee.objects.count(),
        "inspections": Inspection.objects.count(),
        "licenses": License.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_the_demo_city_has_what_the_readme_promises(capsys):
    call_command("seed_demo")
    assert Contractor.objects.count() >= 3
    assert License.objects.count() >= 8
    assert License.objects.values("license_type").distinct().count() >= 3
    assert Permit.objects.count() == 300
    statuses = dict(Permit.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(PermitStatus.values)
    assert Fee.objects.filter(status=FeeStatus.DUE).exists()
    assert Fee.objects.filter(status=FeeStatus.PAID).exists()
    assert Inspection.objects.exists()
    for username, password in DEMO_PASSWORDS.items():
        assert get_user_model().objects.get(username=username).check_password(password), username
    assert get_user_model().objects.get(username="clerk").is_staff
    assert "Demo city ready" in capsys.readouterr().out


def test_seeding_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert "already seeded" in capsys.readouterr().out


def test_the_seed_is_deterministic():
    from demo.seed import seed_demo_city

    seed_demo_city()
    first = snapshot()
    Inspection.objects.all().delete()
    Fee.objects.all().delete()
    Permit.objects.all().delete()
    seed_demo_city()
    assert snapshot() == first


def test_seed_demo_refuses_production_settings(settings):
    settings.PORTAL_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="refuses to run with production settings"):
        call_command("seed_demo")
    assert not Permit.objects.exists()
