"""Writes about accounts that span apps: finishing a registration, adding a license, and company
users (joining a business by its PIN, roles, leaving, the PIN itself).

Each company-user write asks the policy (policy.businesses) itself, as the views do, and raises
LicenseError when it refuses. The "last manager" rule locks the business row before it counts
its managers, so two requests at once cannot both remove one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.events import event_record
from core.text import with_period
from licenses.exceptions import LastManagerError, LicenseError
from licenses.models import (
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    Membership,
    Role,
    generate_pin,
    normalize_pin,
)
from licenses.services import license_link_request
from policy.businesses import can_join_business, can_manage_business, can_remove_member
from policy.staff import can_send_authenticator_links, is_city_staff

from .exceptions import EnrolmentLinkError, LanguageNotOffered
from .models import AuthenticatorEnrolment, SecondFactorGuard, User


@transaction.atomic
def registration_complete(*, user: User, licenses: list[License]) -> list[LicenseLink]:
    """The last step of Contractor Registration: request a link to each chosen license (staff
    are told of each) and send the "registration received" email, all after the commit."""
    links = [license_link_request(user=user, license=license) for license in licenses]
    event_record("account.registered", subject=user, actor=user, links=[link.pk for link in links])
    return links


# Company users --------------------------------------------------------------------------------


@transaction.atomic
def membership_associate(*, user: User, pin: str) -> Membership:
    """Join a business by its PIN, with no roles until a manager grants some."""
    if not can_join_business(user):
        raise LicenseError(_("Sign in to associate with a business."))
    contractor = Contractor.objects.filter(pin=normalize_pin(pin)).first()
    if contractor is None:
        raise LicenseError(
            _(
                "No business has that PIN. Check it with your company's portal manager; a PIN is "
                "eight letters and digits."
            )
        )
    membership, created = Membership.objects.get_or_create(user=user, contractor=contractor)
    if not created:
        raise LicenseError(
            _("You are already associated with %(business)s")
            % {"business": with_period(contractor.business_name)}
        )
    return membership


LAST_MANAGER = gettext_lazy("There must always be a Manager.")


def _lock_business(contractor_id: int) -> Contractor:
    return Contractor.objects.select_for_update().get(pk=contractor_id)


def _require_manager(*, contractor: Contractor, by: User) -> None:
    if not can_manage_business(by, contractor.pk):
        raise LicenseError(_("Only a manager of this business can do that."))


def _other_managers(membership: Membership) -> int:
    return (
        Membership.objects.filter(contractor_id=membership.contractor_id, can_manage=True)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_set_roles(*, membership: Membership, by: User, roles: set[str]) -> Membership:
    """A manager grants and revokes roles. The last manager cannot lose Manage."""
    contractor = _lock_business(membership.contractor_id)
    _require_manager(contractor=contractor, by=by)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise LicenseError(_("Unknown role: %(roles)s.") % {"roles": ", ".join(sorted(unknown))})
    if membership.can_manage and Role.MANAGE not in roles and _other_managers(membership) == 0:
        raise LastManagerError(LAST_MANAGER)
    for role, field in ROLE_FIELDS.items():
        setattr(membership, field, role in roles)
    membership.save(update_fields=list(ROLE_FIELDS.values()))
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """A manager removes a member, or a member leaves. The last manager cannot go."""
    _lock_business(membership.contractor_id)
    if not can_remove_member(by, membership):
        if membership.user_id == by.pk:
            raise LicenseError(_("Verify your email address to act for this business."))
        raise LicenseError(_("Only a manager of this business can do that."))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.can_manage and _other_managers(membership) == 0:
        raise LastManagerError(LAST_MANAGER)
    membership.delete()


@transaction.atomic
def contractor_regenerate_pin(*, contractor: Contractor, by: User) -> str:
    """A new PIN; the old one stops working at once (members already joined stay)."""
    contractor = _lock_business(contractor.pk)
    _require_manager(contractor=contractor, by=by)
    while True:
        pin = generate_pin()
        if not Contractor.objects.filter(pin=pin).exists():
            break
    contractor.pin = pin
    contractor.save(update_fields=["pin", "updated_at"])
    return pin


# Second factor: wrong codes per account, and a staff member's first authenticator ------------


@dataclass(frozen=True)
class SecondFactorOutcome:
    """What became of a code: accepted, or not; `locked_until` when the account waits (this
    code was not even checked, or it was the wrong code that reached the limit)."""

    accepted: bool
    locked_until: datetime | None = None


@transaction.atomic
def second_factor_attempt(*, user: User, code_is_right: Callable[[], bool]) -> SecondFactorOutcome:
    """Check a second-factor code (`code_is_right`: allauth's check, False only for a wrong code,
    the one kind of refusal counted) under the account's limit
    on wrong codes, counted from every address together: past the limit the account waits,
    no code is checked meanwhile, and the lock-out is recorded once
    (`account.second_factor_locked`: its owner is emailed). The account's row stays locked
    while the code is checked, so guesses sent at once are each counted."""
    SecondFactorGuard.objects.get_or_create(user=user)
    guard = SecondFactorGuard.objects.select_for_update().get(user=user)
    now = timezone.now()
    if guard.locked_until and guard.locked_until > now:
        return SecondFactorOutcome(accepted=False, locked_until=guard.locked_until)
    if code_is_right():
        return SecondFactorOutcome(accepted=True)
    window = timedelta(minutes=settings.SECOND_FACTOR_WINDOW_MINUTES)
    if guard.window_started_at is None or guard.window_started_at <= now - window:
        guard.window_started_at = now
        guard.wrong_codes = 0
    guard.wrong_codes += 1
    locked_until = None
    if guard.wrong_codes >= settings.SECOND_FACTOR_WRONG_CODE_LIMIT:
        locked_until = now + timedelta(minutes=settings.SECOND_FACTOR_LOCK_MINUTES)
        event_record(
            "account.second_factor_locked",
            subject=user,
            wrong_codes=guard.wrong_codes,
            locked_until=locked_until.isoformat(),
        )
        guard.locked_until = locked_until
        guard.wrong_codes = 0
        guard.window_started_at = None
    guard.save(update_fields=["wrong_codes", "window_started_at", "locked_until"])
    return SecondFactorOutcome(accepted=False, locked_until=locked_until)


ENROLMENT_SALT = "accounts.authenticator-enrolment"


def enrolment_token(enrolment: AuthenticatorEnrolment) -> str:
    """The link's token: the enrolment's id, signed with the site's key (never stored, never in
    an event): only the email it is sent to carries it."""
    return signing.dumps(enrolment.pk, salt=ENROLMENT_SALT)


@transaction.atomic
def authenticator_link_send(*, user: User, by: User | None) -> AuthenticatorEnrolment:
    """An administrator sends a staff member the one-time link that sets up their first
    authenticator app (emailed after the commit); an older unused link stops working. `by`
    None: the server's operator (`manage.py authenticator_link`, for the first superuser,
    whom nobody could send one to)."""
    from .mfa import has_authenticator_app

    if by is not None and not can_send_authenticator_links(by):
        raise EnrolmentLinkError(_("Only staff who may change users can send set-up links."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if not is_city_staff(user):
        raise EnrolmentLinkError(
            _("%(user)s is not active city staff.") % {"user": user.get_username()}
        )
    if not user.email:
        raise EnrolmentLinkError(
            _("%(user)s has no email address to send it to.") % {"user": user.get_username()}
        )
    if has_authenticator_app(user):
        raise EnrolmentLinkError(
            _(
                "%(user)s already has an authenticator app. If the phone is lost, remove it "
                "under MFA authenticators first, then send a link."
            )
            % {"user": user.get_username()}
        )
    now = timezone.now()
    AuthenticatorEnrolment.objects.filter(
        user=user, used_at__isnull=True, replaced_at__isnull=True
    ).update(replaced_at=now)
    enrolment = AuthenticatorEnrolment.objects.create(
        user=user,
        sent_by=by,
        expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS),
    )
    event_record("account.authenticator_link_sent", subject=user, actor=by, enrolment=enrolment.pk)
    return enrolment


LINK_NOT_VALID = gettext_lazy(
    "This set-up link is not valid: it may have been used already, replaced by a newer one, "
    "or copied incompletely. Ask the administrator who created your account to send a new one."
)
LINK_EXPIRED = gettext_lazy(
    "This set-up link has expired. Ask the administrator who created your account to send a "
    "new one."
)


@transaction.atomic
def authenticator_link_open(*, token: str) -> User:
    """Use a set-up link (once): the staff member it was sent to, who may now set up their
    first authenticator app in this session."""
    from .mfa import has_authenticator_app

    max_age = timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS)
    try:
        enrolment_id = signing.loads(token, salt=ENROLMENT_SALT, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise EnrolmentLinkError(LINK_EXPIRED) from expired
    except signing.BadSignature as bad:
        raise EnrolmentLinkError(LINK_NOT_VALID) from bad
    enrolment = (
        AuthenticatorEnrolment.objects.select_for_update()
        .select_related("user")
        .filter(pk=enrolment_id)
        .first()
    )
    now = timezone.now()
    if enrolment is None or enrolment.used_at or enrolment.replaced_at:
        raise EnrolmentLinkError(LINK_NOT_VALID)
    if enrolment.expires_at <= now:
        raise EnrolmentLinkError(LINK_EXPIRED)
    user = enrolment.user
    if not is_city_staff(user) or has_authenticator_app(user):
        raise EnrolmentLinkError(LINK_NOT_VALID)
    enrolment.used_at = now
    enrolment.save(update_fields=["used_at"])
    return user


# Language -------------------------------------------------------------------------------------


def user_language_set(*, user: User, language: str) -> None:
    """The language of the user's pages and of everything sent to them (accounts.language)."""
    if language not in dict(settings.LANGUAGES):
        raise LanguageNotOffered(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
