import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import factory
from django.contrib.auth import get_user_model

from inspections.models import Inspection, InspectionType
from licenses.models import Contractor, License, LicenseStatus, LicenseType
from permits.models import Fee, FeeStatus, Permit, PermitStatus, PermitType

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Tester{n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contractor

    business_name = factory.Sequence(lambda n: f"Builder {n} LLC")
    contact_name = "Chris Contact"
    address = "100 Main St"
    city = "Springfield"
    state = "IL"
    zip_code = "62701"
    phone = factory.Sequence(lambda n: f"(217) 555-{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"office{n}@builder.example")


class LicenseTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenseType
        django_get_or_create = ("prefix",)

    prefix = "EC"
    name = factory.LazyAttribute(
        lambda t: {
            "EC": "Electrical",
            "GC": "General",
            "PC": "Plumbing",
            "MC": "Mechanical",
            "RC": "Residential",
        }.get(t.prefix, f"{t.prefix} License")
    )


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    license_type = factory.SubFactory(LicenseTypeFactory)
    number = factory.LazyAttributeSequence(lambda lic, n: f"{lic.license_type.prefix}{70000 + n}")
    holder = factory.SubFactory(ContractorFactory)
    status = LicenseStatus.ACTIVE
    issued_on = datetime.date(2023, 1, 1)
    expires_on = datetime.date(2030, 1, 1)


class PermitTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PermitType
        django_get_or_create = ("code",)

    code = "RES"
    name = factory.LazyAttribute(
        lambda t: {"RES": "Residential Building", "ELE": "Electrical"}.get(t.code, t.code)
    )


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"RES25-{n:05d}")
    permit_type = factory.SubFactory(PermitTypeFactory)
    description = "Kitchen remodel"
    status = PermitStatus.ISSUED
    street_number = factory.Sequence(lambda n: str(100 + n))
    street_name = "Oak St"
    city = "Springfield"
    state = "IL"
    zip_code = "62704"
    parcel_number = "14-27.0-101-001"
    valuation = Decimal("25000.00")
    owner_name = "J. Owner"
    applied_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=30))

    @factory.post_generation
    def licenses(self, create, extracted, **kwargs):
        if create and extracted:
            self.licenses.add(*extracted)


class FeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fee

    permit = factory.SubFactory(PermitFactory)
    description = "Building Permit Fee"
    amount = Decimal("125.00")
    status = FeeStatus.DUE


class InspectionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionType
        django_get_or_create = ("permit_type", "code")

    permit_type = factory.SubFactory(PermitTypeFactory)
    code = factory.Sequence(lambda n: str(100 + n))
    name = factory.LazyAttribute(lambda t: f"Inspection {t.code}")


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    permit = factory.SubFactory(PermitFactory)
    inspection_type = factory.SubFactory(
        InspectionTypeFactory, permit_type=factory.SelfAttribute("..permit.permit_type")
    )
    scheduled_for = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=2))


def verify_email(user, verified: bool = True):
    from allauth.account.models import EmailAddress

    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": verified, "primary": True}
    )
    return address


class LicenseLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "licenses.LicenseLink"

    user = factory.SubFactory(UserFactory)
    license = factory.SubFactory(LicenseFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "licenses.Membership"

    user = factory.SubFactory(UserFactory)
    contractor = factory.SubFactory(ContractorFactory)


def contractor_user(license=None, *, username=None, verified=True, **roles):
    """A user approved on `license` (made if not given) and verified, with membership roles
    at its holder (e.g. can_pay=True)."""
    from django.utils import timezone

    license = license or LicenseFactory()
    user = UserFactory(**({"username": username} if username else {}))
    verify_email(user, verified)
    LicenseLinkFactory(user=user, license=license, status="approved", decided_at=timezone.now())
    if roles:
        MembershipFactory(user=user, contractor=license.holder, **roles)
    return user


def make_inspector(username: str, area=None):
    from django.contrib.auth.models import Group

    from inspections.models import Inspector

    user = UserFactory(username=username, is_staff=True)
    group, _ = Group.objects.get_or_create(name="Inspectors")
    user.groups.add(group)
    return Inspector.objects.create(user=user, area=area)


def set_status(instance, status: str) -> None:
    """Arrange a record in a status without a move (a test's starting point, not a move under
    test): the status machine's save() never writes a status."""
    type(instance).objects.filter(pk=instance.pk).update(**{instance.STATUS_FIELD: status})
    instance.refresh_from_db()


class Move(NamedTuple):
    """One status move of a record, as its event recorded it (core.events)."""

    event_type: str
    from_status: str
    to_status: str
    changed_by: Any
    note: str
    changed_at: datetime.datetime


def moves(record) -> list[Move]:
    """The record's own status moves, oldest first, read from the event record."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import Event

    events = Event.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        payload__has_key="to",
    ).select_related("actor")
    return [
        Move(
            event.type,
            event.payload.get("from", ""),
            event.payload["to"],
            event.actor,
            event.payload.get("note", ""),
            event.occurred_at,
        )
        for event in events.order_by("occurred_at", "id")
    ]
