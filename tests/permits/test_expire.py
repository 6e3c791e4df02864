import datetime

import pytest
from django.core.management import CommandError, call_command

from permits.models import PermitStatus
from permits.tasks import expire_permits
from tests.factories import PermitFactory, moves

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 6, 15)


@pytest.fixture
def permits():
    return {
        "lapsed": PermitFactory(
            status=PermitStatus.ISSUED, expires_on=TODAY - datetime.timedelta(days=1)
        ),
        "today": PermitFactory(status=PermitStatus.ISSUED, expires_on=TODAY),
        "current": PermitFactory(
            status=PermitStatus.ISSUED, expires_on=TODAY + datetime.timedelta(days=30)
        ),
        "finaled": PermitFactory(
            status=PermitStatus.FINALED, expires_on=TODAY - datetime.timedelta(days=90)
        ),
        "no_date": PermitFactory(status=PermitStatus.ISSUED, expires_on=None),
    }


def test_only_issued_permits_past_their_expiry_date_expire(capsys, permits):
    call_command("expire_permits", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    for name, permit in permits.items():
        permit.refresh_from_db()
        expected = PermitStatus.EXPIRED if name == "lapsed" else permit.status
        assert permit.status == expected, name
    assert f"{permits['lapsed'].number}: Issued -> Expired" in out
    assert "1 permit(s) expired." in out
    (change,) = moves(permits["lapsed"])
    assert change.from_status == PermitStatus.ISSUED and change.changed_by is None


def test_running_twice_changes_nothing_the_second_time(capsys, permits):
    call_command("expire_permits", "--date", TODAY.isoformat())
    call_command("expire_permits", "--date", TODAY.isoformat())
    assert capsys.readouterr().out.endswith("0 permit(s) expired.\n")
    assert [len(moves(permit)) for permit in permits.values()].count(1) == 1
    assert sum(len(moves(permit)) for permit in permits.values()) == 1


def test_the_daily_task_expires_permits(permits):
    assert expire_permits.delay().get() >= 1
    permits["lapsed"].refresh_from_db()
    assert permits["lapsed"].status == PermitStatus.EXPIRED


def test_celery_beat_runs_it_daily():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["expire-permits-daily"]
    assert schedule["task"] == "permits.tasks.expire_permits"
    from portal.celery import app

    assert "permits.tasks.expire_permits" in app.tasks


def test_a_bad_date_is_a_clear_error():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("expire_permits", "--date", "15/06/2025")
