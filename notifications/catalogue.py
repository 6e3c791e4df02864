"""Who hears what: every event a person is told of, its group (what a person turns on or off), the
roles that hear it, and whether it can be turned off at all.

This table is the one answer: the subscribers (notifications/subscribers/) address the roles it
names, docs/notifications.md prints it (tests/notifications/test_catalogue.py keeps the two
equal), and the preferences page shows it to each user.
"""

from __future__ import annotations

from dataclasses import dataclass

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
}
CITY_ROLES = frozenset({REVIEWER, REVIEW_SUPERVISORS, INSPECTOR, INTAKE_CLERKS, LICENSE_REVIEWERS})

# Why a message cannot be turned off.
SECURITY = _("security: it is about who can sign in to your account")
RECEIPT = _("a receipt: it is the record of money paid or refunded")
INVITATION = _("an invitation: its link is sent only once")


@dataclass(frozen=True)
class Rule:
    """One row of the table: the event's group, the roles that hear it, and, for what cannot be
    turned off, why. `supersedes`: the events this one makes untrue, dropped from a message not
    sent yet (`same` names what they share: the event's subject or its permit). `gather`:
    "daily" for reminders: a day's events of this type for one person are one message, at the
    digest hour (the contractor with 50,000 permits hears of those expiring in one email)."""

    group: Group
    roles: tuple[str, ...]
    always: object = None
    supersedes: tuple[str, ...] = ()
    same: str = "permit"
    needs_action: bool = False
    # Its message holds a one-time link: kept until sent, then only a note that it was sent.
    secret: bool = False
    gather: str = ""

    @property
    def can_turn_off(self) -> bool:
        return self.always is None


PERMIT_PEOPLE = (APPLICANT, OWNER, CONTACT, BUSINESS_MANAGE)
# What makes a reminder about a permit untrue before it goes: the permit ended.
PERMIT_REMINDERS = ("permit.expiring", "permit.inactive")

RULES: dict[str, Rule] = {
    # Account and licenses
    "account.registered": Rule(Group.ACCOUNT, (ACCOUNT_HOLDER,)),
    "account.second_factor_locked": Rule(Group.ACCOUNT, (ACCOUNT_HOLDER,), always=SECURITY),
    "account.authenticator_link_sent": Rule(
        Group.ACCOUNT, (ACCOUNT_HOLDER,), always=SECURITY, secret=True
    ),
    "license_link.requested": Rule(Group.ACCOUNT, (LICENSE_REVIEWERS,), needs_action=True),
    "license_link.decided": Rule(Group.ACCOUNT, (ACCOUNT_HOLDER,), secret=True),
    "license.expiring": Rule(
        Group.ACCOUNT, (LICENSE_USERS, BUSINESS_MANAGE), needs_action=True, gather="daily"
    ),
    # Applications and plan review
    "application.submitted": Rule(Group.APPLICATIONS, (APPLICANT, OWNER, CONTACT, INTAKE_CLERKS)),
    "application.accepted": Rule(Group.APPLICATIONS, (APPLICANT,)),
    "application.returned": Rule(
        Group.APPLICATIONS, (APPLICANT,), supersedes=("fee.assessed",), needs_action=True
    ),
    "application.draft_lapsing": Rule(Group.APPLICATIONS, (APPLICANT,), needs_action=True),
    "review.assigned": Rule(Group.APPLICATIONS, (REVIEWER,), needs_action=True),
    "review_cycle.decided": Rule(Group.APPLICATIONS, (APPLICANT, CONTACT), needs_action=True),
    "corrections.resubmitted": Rule(
        Group.APPLICATIONS, (REVIEWER, REVIEW_SUPERVISORS), needs_action=True
    ),
    "condition.answered": Rule(Group.APPLICATIONS, (REVIEWER,), needs_action=True),
    "condition.met": Rule(
        Group.APPLICATIONS,
        (APPLICANT, CONTACT),
        supersedes=("condition.answered",),
        same="subject",
    ),
    # Fees and payments
    "fee.assessed": Rule(
        Group.FEES, (APPLICANT, CONTACT, BUSINESS_PAY, BUSINESS_MANAGE), needs_action=True
    ),
    "payment.completed": Rule(Group.FEES, (PAYER,), always=RECEIPT),
    "payment.refunded": Rule(Group.FEES, (PAYER,), always=RECEIPT),
    "trust.low_balance": Rule(Group.FEES, (BUSINESS_MANAGE,), needs_action=True),
    "trust.below_threshold": Rule(
        Group.FEES, (BUSINESS_MANAGE,), needs_action=True, gather="daily"
    ),
    # Permit status and expiry
    "permit.issued": Rule(
        Group.PERMITS, (*PERMIT_PEOPLE,), supersedes=("fee.assessed",), needs_action=True
    ),
    "permit.expiring": Rule(Group.PERMITS, PERMIT_PEOPLE, needs_action=True, gather="daily"),
    "permit.inactive": Rule(
        Group.PERMITS, (*PERMIT_PEOPLE, BUSINESS_INSPECTIONS), needs_action=True, gather="daily"
    ),
    "permit.expired": Rule(Group.PERMITS, PERMIT_PEOPLE, supersedes=PERMIT_REMINDERS),
    "permit.finaled": Rule(Group.PERMITS, PERMIT_PEOPLE, supersedes=PERMIT_REMINDERS),
    "permit.cancelled": Rule(
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
    "permit.contact_invited": Rule(Group.PERMITS, (INVITED,), always=INVITATION, secret=True),
    # Inspections
    "inspection.requested": Rule(Group.INSPECTIONS, (REQUESTER, INSPECTOR)),
    "inspection.scheduled": Rule(
        Group.INSPECTIONS,
        (REQUESTER, INSPECTOR),
        supersedes=("inspection.requested", "inspection.scheduled"),
        same="subject",
    ),
    "inspection.cancelled": Rule(
        Group.INSPECTIONS,
        (REQUESTER, INSPECTOR),
        supersedes=("inspection.requested", "inspection.scheduled"),
        same="subject",
    ),
    "inspection.resulted": Rule(Group.INSPECTIONS, (REQUESTER,)),
}


def rule_for(event_type: str) -> Rule:
    return RULES[event_type]


# Before a person chooses, and before their business's Manager chooses for them: every group at
# once by email and in the portal (each row either asks something of them or confirms what they
# did); text messages off until they add and verify a number.
DEFAULT_TIMING = {Channel.EMAIL: Timing.NOW, Channel.PORTAL: Timing.NOW, Channel.SMS: Timing.OFF}
