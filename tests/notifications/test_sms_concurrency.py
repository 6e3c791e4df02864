"""At once, on PostgreSQL: wrong codes typed together are each counted, and no more than
SMS_CODE_TRIES of them are compared (each try is counted by one conditional UPDATE before the
code is compared, so two tries at once cannot both read the same count)."""

import pytest
from django.core.cache import cache

from notifications.models import PhoneNumber
from notifications.sms.services import PhoneError, phone_number_add, phone_number_verify
from tests.factories import UserFactory
from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_wrong_codes_typed_at_once_are_limited_all_the_same(settings, tmp_path):
    settings.SMS_PROVIDER = "offline"
    settings.SMS_FILE_PATH = str(tmp_path)
    settings.SMS_CODE_TRIES = 5
    cache.clear()
    user = UserFactory()
    phone_number_add(user=user, number="+12175550123")
    code = (tmp_path / next(p.name for p in tmp_path.iterdir())).read_text().split("code is ")[1]
    wrong = f"{(int(code[:6]) + 1) % 10**6:06d}"

    results = run_at_once(12, lambda n: phone_number_verify(user=user, code=wrong))

    said = [str(result) for result in results]
    assert all(isinstance(result, PhoneError) for result in results), said
    compared = [s for s in said if s.startswith("That code is not right")]
    assert len(compared) == 5, said
    assert said.count("Too many wrong codes. Send a new code.") == 7
    assert PhoneNumber.objects.get(user=user).code_tries == 5
