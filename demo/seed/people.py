"""The demo city's people and businesses: staff groups and their permissions, the logins (staff
with their authenticator app), the businesses and their licenses, who is registered for which
license, who works for which business with which roles, and the businesses' trust accounts."""

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from licenses.models import (
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    LicenseType,
    Membership,
)
from payments.models import EntryKind, TrustAccount, TrustEntry

from .data import Seeding


def seed_users(seeding: Seeding) -> None:
    for spec in seeding.city["groups"]:
        group, _ = Group.objects.get_or_create(name=spec["name"])
        granted = []
        for app_label, codenames in spec["permissions"].items():
            permissions = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != "all":
                permissions = permissions.filter(codename__in=codenames)
            granted += permissions
        # Exactly the city's list: a permission taken off it (the clerks' user admin) is taken
        # from a demo seeded before too.
        group.permissions.set(granted)

    user_model = get_user_model()
    for spec in seeding.city["users"]:
        defaults = {
            "email": spec["email"],
            "first_name": spec["first_name"],
            "last_name": spec["last_name"],
            "is_staff": spec.get("staff", False),
            "is_superuser": spec.get("superuser", False),
            "phone": spec.get("phone", ""),
        }
        for kind in ("business", "mailing"):
            address = spec.get(f"{kind}_address", {})
            defaults[f"{kind}_address"] = address.get("address", "")
            for part in ("city", "state", "zip"):
                defaults[f"{kind}_{part}"] = address.get(part, "")
        user, created = user_model.objects.get_or_create(
            username=spec["username"], defaults=defaults
        )
        if created:
            # No password: a person named on permits who has not signed in yet.
            if spec["password"]:
                user.set_password(spec["password"])
            else:
                user.set_unusable_password()
            user.save()
        seeding.report.count("users", created)
        user.groups.add(*(Group.objects.get(name=name) for name in spec.get("groups", [])))
        if spec.get("email_verified"):
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
        seeding.users[spec["username"]] = user


def seed_staff_authenticators(seeding: Seeding) -> None:
    """Staff sign in with a second factor (STAFF_REQUIRE_MFA): each demo staff login has an
    authenticator app set up with the city's published demo key, and its recovery codes.
    `manage.py demo_totp_code` prints the current code (README: Demo logins)."""
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    secret = seeding.city["staff_authenticator_key"]
    for spec in seeding.city["users"]:
        if not spec.get("staff"):
            continue
        user = seeding.users[spec["username"]]
        _, created = Authenticator.objects.get_or_create(
            user=user,
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": encrypt(secret)}},
        )
        if created:
            RecoveryCodes.activate(user)
        seeding.report.count("staff authenticator apps", created)


def seed_businesses(seeding: Seeding) -> None:
    license_types = {}
    for spec in seeding.city["license_types"]:
        license_types[spec["prefix"]], created = LicenseType.objects.get_or_create(
            prefix=spec["prefix"], defaults={"name": spec["name"]}
        )
        seeding.report.count("license types", created)

    for spec in seeding.city["businesses"]:
        seeding.businesses[spec["name"]], created = Contractor.objects.get_or_create(
            business_name=spec["name"],
            defaults={
                "contact_name": spec["contact"],
                "address": spec["address"],
                "city": spec["city"],
                "state": spec["state"],
                "zip_code": spec["zip"],
                "phone": spec["phone"],
                "email": spec["email"],
            },
        )
        seeding.report.count("contractors", created)

    for spec in seeding.city["licenses"]:
        seeding.licenses[spec["number"]], created = License.objects.get_or_create(
            number=spec["number"],
            defaults={
                "license_type": license_types[spec["type"]],
                "holder": seeding.businesses[spec["holder"]],
                "status": spec["status"],
                "issued_on": seeding.calendar.day(spec["issued"]),
                "expires_on": seeding.calendar.day(spec["expires"]),
            },
        )
        seeding.report.count("licenses", created)


def seed_memberships(seeding: Seeding) -> None:
    users = seeding.users
    for spec in seeding.city["license_links"]:
        _, created = LicenseLink.objects.get_or_create(
            user=users[spec["user"]],
            license=seeding.licenses[spec["license"]],
            defaults={
                "status": spec["status"],
                "decided_by": users[spec["decided_by"]],
                "decided_at": timezone.now(),
            },
        )
        seeding.report.count("license links", created)

    for spec in seeding.city["memberships"]:
        _, created = Membership.objects.get_or_create(
            user=users[spec["user"]],
            contractor=seeding.businesses[spec["business"]],
            defaults={ROLE_FIELDS[role]: True for role in spec["roles"]},
        )
        seeding.report.count("memberships", created)

    for spec in seeding.city["trust_accounts"]:
        account, created = TrustAccount.objects.get_or_create(
            contractor=seeding.businesses[spec["business"]],
            defaults={"low_balance_threshold": Decimal(spec["low_balance_threshold"])},
        )
        if created:
            for deposit in spec["deposits"]:
                TrustEntry.objects.create(
                    account=account,
                    kind=EntryKind.DEPOSIT,
                    amount=Decimal(deposit["amount"]),
                    reference=deposit["reference"],
                    created_by=users[deposit["by"]],
                )
        seeding.report.count("trust accounts", created)
