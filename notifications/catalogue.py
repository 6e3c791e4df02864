"""Who hears what: every event a person is told of, what it is called in plain words, its group
(what a person turns on or off), the roles that hear it, and whether it can be turned off at all;
and the sign-in system's own emails, which are always sent.

This table is the one answer: the subscribers (notifications/subscribers/) address the roles it
names, docs/notifications.md prints it (tests/notifications/test_catalogue.py keeps the two
equal), and the preferences page shows each user the rows they can hear.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Group(models.TextChoices):
    APPLICATIONS = "applications", _("Applications and reviews")
    FEES = "fees", _("Fees and payments")
    INSPECTIONS = "inspections", _("Inspections")
    PERMITS = "permits", _("Permit status and expiry")
    ACCOUNT = "account", _("Account and licenses")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("In the portal")
    SMS = "sms", _("Text message")


class Timing(models.TextChoices):
    NOW = "now", _("At once")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


# The timings that mean something on each channel, as a person reads them there. Email: at once,
# in the day's digest, or off. The Notifications page lists every notice as it comes, so the
# portal is on or off. A text comes at once or not at all: a day's texts in one is no text.
CHANNEL_TIMINGS: dict[str, tuple[tuple[str, object], ...]] = {
    Channel.EMAIL: tuple(Timing.choices),
    Channel.PORTAL: ((Timing.NOW, _("On")), (Timing.OFF, _("Off"))),
    Channel.SMS: ((Timing.NOW, Timing.NOW.label), (Timing.OFF, Timing.OFF.label)),
}
TIMING_REFUSED = {
    Channel.EMAIL: _("For email, choose At once, Daily digest or Off."),
    Channel.PORTAL: _(
        "In the portal, choose On or Off: every notification is listed there as it comes."
    ),
    Channel.SMS: _("Text messages come at once or not at all: choose At once or Off."),
}


def timings_on(channel: str) -> list[str]:
    """The timings a person may choose on `channel`."""
    return [value for value, _label in CHANNEL_TIMINGS[channel]]


def check_timing(channel: str, timing: str) -> None:
    """Refuse a timing the channel does not offer (a daily digest of texts), in words for the
    person who chose it."""
    if channel not in CHANNEL_TIMINGS:
        raise ValidationError(_("There is no such channel."))
    if timing not in timings_on(channel):
        raise ValidationError(TIMING_REFUSED[channel])


def timing_on(channel: str, timing: str | None) -> str:
    """A stored timing as it works on `channel`. One the channel no longer offers, kept from
    before each channel offered only what it means: a daily digest in the portal is On (the
    portal always listed it at once); a daily digest of texts is Off, as nobody asked for a text
    about each event; anything else is the portal's default."""
    if timing in timings_on(channel):
        return timing
    if timing == Timing.DIGEST and channel == Channel.PORTAL:
        return Timing.NOW
    if timing == Timing.DIGEST:
        return Timing.OFF
    return DEFAULT_TIMING[channel]


# The roles a table row names. A permit's parties (permits.parties) by their role on it; the
# others are people one event names.
APPLICANT = "applicant"
OWNER = "owner"
CONTACT = "contact"
BUSINESS_MANAGE = "business:manage"
BUSINESS_APPLY = "business:apply"
BUSINESS_PAY = "business:pay"
BUSINESS_INSPECTIONS = "business:inspections"
ACCOUNT_HOLDER = "account holder"
LICENSE_USERS = "license users"
REQUESTER = "requester"
PAYER = "payer"
INVITED = "invited user"
REVIEWER = "assigned reviewer"
REVIEW_SUPERVISORS = "review supervisors"
INSPECTOR = "assigned inspector"
INTAKE_CLERKS = "intake clerks"
LICENSE_REVIEWERS = "license reviewers"
# An address with no account, typed into a form (a password reset asked for it).
TYPED_ADDRESS = "typed address"

ROLE_LABELS = {
    APPLICANT: _("the applicant"),
    OWNER: _("the owner"),
    CONTACT: _("the permit's contacts"),
    BUSINESS_MANAGE: _("the business's managers"),
    BUSINESS_APPLY: _("the business's users with the Apply role"),
    BUSINESS_PAY: _("the business's users with the Pay role"),
    BUSINESS_INSPECTIONS: _("the business's users with the Inspections role"),
    ACCOUNT_HOLDER: _("the account's holder"),
    LICENSE_USERS: _("the license's linked users"),
    REQUESTER: _("who requested it"),
    PAYER: _("who paid"),
    INVITED: _("the invited user"),
    REVIEWER: _("the assigned reviewer"),
    REVIEW_SUPERVISORS: _("the review supervisors (no reviewer assigned)"),
    INSPECTOR: _("the assigned inspector"),
    INTAKE_CLERKS: _("the intake clerks"),
    LICENSE_REVIEWERS: _("the license reviewers"),
    TYPED_ADDRESS: _("the address typed (it has no account)"),
}
CITY_ROLES = frozenset({REVIEWER, REVIEW_SUPERVISORS, INSPECTOR, INTAKE_CLERKS, LICENSE_REVIEWERS})
# The roles a contractor (anyone with an account who is not city staff) may hear in; the
# business's and the license's ones only where they hold them (preferences.audience_of).
CONTRACTOR_ROLES = frozenset(
    {
        APPLICANT,
        OWNER,
        CONTACT,
        BUSINESS_MANAGE,
        BUSINESS_APPLY,
        BUSINESS_PAY,
        BUSINESS_INSPECTIONS,
        ACCOUNT_HOLDER,
        LICENSE_USERS,
        REQUESTER,
        PAYER,
        INVITED,
    }
)

# Whose side of the counter a row is on, where its roles do not say (the account holder is
# anyone): a contractor registers and links licenses; only staff get an authenticator link.
STAFF = "staff"
CONTRACTORS = "contractors"

# Why a message cannot be turned off.
SECURITY = _("security: it is about who can sign in to your account")
RECEIPT = _("a receipt: it is the record of money paid or refunded")
INVITATION = _("an invitation: its link is sent only once")


@dataclass(frozen=True)
class Rule:
    """One row of the table: what the event is called for the people who hear it (plain words:
    what happened to them, never the event's type), its group, the roles that hear it, and, for
    what cannot be turned off, why. `side`: STAFF or CONTRACTORS for a row whose roles do not
    say whose it is. `supersedes`: the events this one makes untrue, dropped from a message not
    sent yet (`same` names what they share: the event's subject or its permit). `gather`:
    "daily" for reminders: a day's events of this type for one person are one message, at the
    digest hour (the contractor with 50,000 permits hears of those expiring in one email).

    Two events that are one thing to the people who hear them share a label: the table shows
    them as one row (preferences.who_hears_what)."""

    label: object
    group: Group
    roles: tuple[str, ...]
    always: object = None
    supersedes: tuple[str, ...] = ()
    same: str = "permit"
    needs_action: bool = False
    # Its message holds a one-time link: kept until sent, then only a note that it was sent.
    secret: bool = False
    gather: str = ""
    side: str = ""

    @property
    def can_turn_off(self) -> bool:
        return self.always is None


PERMIT_PEOPLE = (APPLICANT, OWNER, CONTACT, BUSINESS_MANAGE)
# What makes a reminder about a permit untrue before it goes: the permit ended.
PERMIT_REMINDERS = ("permit.expiring", "permit.inactive")
# A payment took the trust account under its Manager's alert (trust.low_balance), or the nightly
# check found it there (trust.below_threshold: only when no payment told of that crossing): one
# thing to the managers, told once per crossing.
TRUST_BELOW_ALERT = _("Your business's trust account went below its low-balance alert")

RULES: dict[str, Rule] = {
    # Account and licenses
    "account.registered": Rule(
        _("Your registration was received"), Group.ACCOUNT, (ACCOUNT_HOLDER,), side=CONTRACTORS
    ),
    "account.second_factor_locked": Rule(
        _("Sign-in paused after too many wrong authenticator codes"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
    ),
    "account.authenticator_link_sent": Rule(
        _("Your link to set up an authenticator app for the staff pages"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
        secret=True,
        side=STAFF,
    ),
    "license_link.requested": Rule(
        _("A contractor asked to act for a license: a request to decide"),
        Group.ACCOUNT,
        (LICENSE_REVIEWERS,),
        needs_action=True,
    ),
    "license_link.decided": Rule(
        _("The city answered your request to act for a license"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        secret=True,
        side=CONTRACTORS,
    ),
    "license.expiring": Rule(
        _("A license expires soon"),
        Group.ACCOUNT,
        (LICENSE_USERS, BUSINESS_MANAGE),
        needs_action=True,
        gather="daily",
    ),
    # Applications and plan review
    "application.submitted": Rule(
        _("An application was submitted to the city"),
        Group.APPLICATIONS,
        (APPLICANT, OWNER, CONTACT, INTAKE_CLERKS),
    ),
    "application.accepted": Rule(
        _("Your application was accepted for review"), Group.APPLICATIONS, (APPLICANT,)
    ),
    "application.returned": Rule(
        _("Your application was returned: something is missing"),
        Group.APPLICATIONS,
        (APPLICANT,),
        supersedes=("fee.assessed",),
        needs_action=True,
    ),
    "application.draft_lapsing": Rule(
        _("Your draft application will soon be deleted unless you save it"),
        Group.APPLICATIONS,
        (APPLICANT,),
        needs_action=True,
    ),
    "review.assigned": Rule(
        _("A plan review was given to you"), Group.APPLICATIONS, (REVIEWER,), needs_action=True
    ),
    "review_cycle.decided": Rule(
        _("The plan review is done: approved, or corrections needed"),
        Group.APPLICATIONS,
        (APPLICANT, CONTACT),
        needs_action=True,
    ),
    "corrections.resubmitted": Rule(
        _("Corrections were resubmitted for your review"),
        Group.APPLICATIONS,
        (REVIEWER, REVIEW_SUPERVISORS),
        needs_action=True,
    ),
    "condition.answered": Rule(
        _("A condition of approval was answered: it is yours to check"),
        Group.APPLICATIONS,
        (REVIEWER,),
        needs_action=True,
    ),
    "condition.met": Rule(
        _("A condition of approval on your permit was marked met"),
        Group.APPLICATIONS,
        (APPLICANT, CONTACT),
        supersedes=("condition.answered",),
        same="subject",
    ),
    # Fees and payments
    "fee.assessed": Rule(
        _("Fees are due on a permit"),
        Group.FEES,
        (APPLICANT, CONTACT, BUSINESS_PAY, BUSINESS_MANAGE),
        needs_action=True,
    ),
    "payment.completed": Rule(
        _("Your receipt for a payment"), Group.FEES, (PAYER,), always=RECEIPT
    ),
    "payment.refunded": Rule(
        _("A payment of yours was refunded"), Group.FEES, (PAYER,), always=RECEIPT
    ),
    "trust.low_balance": Rule(TRUST_BELOW_ALERT, Group.FEES, (BUSINESS_MANAGE,), needs_action=True),
    "trust.below_threshold": Rule(
        TRUST_BELOW_ALERT, Group.FEES, (BUSINESS_MANAGE,), needs_action=True, gather="daily"
    ),
    # Permit status and expiry
    "permit.issued": Rule(
        _("Your permit was issued"),
        Group.PERMITS,
        (*PERMIT_PEOPLE,),
        supersedes=("fee.assessed",),
        needs_action=True,
    ),
    "permit.expiring": Rule(
        _("Your permit expires soon"),
        Group.PERMITS,
        PERMIT_PEOPLE,
        needs_action=True,
        gather="daily",
    ),
    "permit.inactive": Rule(
        _("Your permit will lapse: no inspection for a long time"),
        Group.PERMITS,
        (*PERMIT_PEOPLE, BUSINESS_INSPECTIONS),
        needs_action=True,
        gather="daily",
    ),
    "permit.expired": Rule(
        _("Your permit expired"), Group.PERMITS, PERMIT_PEOPLE, supersedes=PERMIT_REMINDERS
    ),
    "permit.finaled": Rule(
        _("Your permit passed its final inspection (finaled)"),
        Group.PERMITS,
        PERMIT_PEOPLE,
        supersedes=PERMIT_REMINDERS,
    ),
    "permit.cancelled": Rule(
        _("Your permit was cancelled"),
        Group.PERMITS,
        PERMIT_PEOPLE,
        supersedes=(
            "fee.assessed",
            "inspection.requested",
            "inspection.scheduled",
            "permit.issued",
            *PERMIT_REMINDERS,
        ),
    ),
    "permit.contact_invited": Rule(
        _("You were invited to work on a permit"),
        Group.PERMITS,
        (INVITED,),
        always=INVITATION,
        secret=True,
    ),
    # Inspections
    "inspection.requested": Rule(
        _("An inspection was requested"), Group.INSPECTIONS, (REQUESTER, INSPECTOR)
    ),
    "inspection.scheduled": Rule(
        _("An inspection was scheduled or moved"),
        Group.INSPECTIONS,
        (REQUESTER, INSPECTOR),
        supersedes=("inspection.requested", "inspection.scheduled"),
        same="subject",
    ),
    "inspection.cancelled": Rule(
        _("An inspection was cancelled"),
        Group.INSPECTIONS,
        (REQUESTER, INSPECTOR),
        supersedes=("inspection.requested", "inspection.scheduled"),
        same="subject",
    ),
    "inspection.resulted": Rule(
        _("The result of an inspection you requested"), Group.INSPECTIONS, (REQUESTER,)
    ),
}

# The sign-in system's (django-allauth's) own emails, sent outside the events by the accounts
# adapter (they carry a single-use secret an event must not hold), keyed by their template. Each
# is sent only when someone asks for it, and always: it is about who can sign in. The portal
# sends no email when a password is changed (allauth's ACCOUNT_EMAIL_NOTIFICATIONS is off).
SIGN_IN_EMAILS: dict[str, Rule] = {
    "account/email/password_reset_key": Rule(
        _("A link to reset your password, when you ask for one"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
    ),
    "account/email/unknown_account": Rule(
        _("A password reset was asked for an address that has no account"),
        Group.ACCOUNT,
        (TYPED_ADDRESS,),
        always=SECURITY,
    ),
    "account/email/email_confirmation_signup": Rule(
        _("A link to confirm your email address, when you register or change it"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
    ),
    "account/email/email_confirmation": Rule(
        _("A link to confirm your email address, when you register or change it"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
    ),
    "account/email/account_already_exists": Rule(
        _("Someone tried to register with your email address"),
        Group.ACCOUNT,
        (ACCOUNT_HOLDER,),
        always=SECURITY,
    ),
}


def rule_for(event_type: str) -> Rule:
    return RULES[event_type]


# Before a person chooses, and before their business's Manager chooses for them: every group at
# once by email and in the portal (each row either asks something of them or confirms what they
# did); text messages off until they add and verify a number.
DEFAULT_TIMING = {Channel.EMAIL: Timing.NOW, Channel.PORTAL: Timing.NOW, Channel.SMS: Timing.OFF}
