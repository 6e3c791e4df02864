"""Staff rules the table in test_rules.py cannot tell apart: its staff row is a superuser, who
holds every permission, and its clerk has not the permission to change users."""

import pytest
from django.contrib.auth.models import Permission

from policy.staff import can_send_authenticator_links
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_who_may_change_users_send_set_up_links_without_being_superusers():
    user = UserFactory(is_staff=True)
    assert not can_send_authenticator_links(user)
    user.user_permissions.add(Permission.objects.get(codename="change_user"))
    fresh = type(user).objects.get(pk=user.pk)
    assert can_send_authenticator_links(fresh)
