"""Unsubscribing, signed out: every email that can be turned off carries RFC 8058's one-click
`List-Unsubscribe` for the groups it tells of, and a footer linking to a signed-out page where its
recipient chooses what they receive. Both links carry a signed token (django.core.signing, a salt
each) naming the recipient (a user's id, or an address without an account) and, for the
unsubscribe link, the groups: the token is the permission, so nobody signs in and nothing lapses.

A user's choice is their email Preference; an address's is an AddressOptOut. The portal's own
notices (the Notifications page) are left as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.mail import absolute_url

from .catalogue import RULES, Channel, Group, Timing
from .models import AddressOptOut, Message, Notice
from .services import address_opt_out, preferences_save, timings_for

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
PREFERENCES_SALT = "notifications.preferences"

# An address without an account is either told by email or not: it has no digest.
ADDRESS_TIMINGS = (Timing.NOW, Timing.OFF)


class LinkNotValid(Exception):
    """A link whose token is not genuine (400) or names nobody any longer (404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Holder:
    """Whose choices a link is for: a user, or an address without an account."""

    recipient: str  # as Notice and Message name them: "user:<id>" or "email:<address>"
    email: str
    user: object | None = None

    @property
    def is_user(self) -> bool:
        return self.user is not None


# Tokens ------------------------------------------------------------------------------------------


# No timestamp: the links do not lapse (an email read a year on still unsubscribes).
def unsubscribe_token(*, recipient: str, groups: Iterable[str]) -> str:
    payload = {"r": recipient, "g": sorted(set(groups))}
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(payload)


def preferences_token(*, recipient: str) -> str:
    return signing.Signer(salt=PREFERENCES_SALT).sign_object({"r": recipient})


def _load(token: str, salt: str) -> dict:
    try:
        data = signing.Signer(salt=salt).unsign_object(token)
    except signing.BadSignature:
        raise LinkNotValid(
            "This link is not valid: it may have been cut short or changed."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        raise LinkNotValid("This link is not valid.")
    return data


def _holder(recipient: str) -> Holder:
    kind, _, value = recipient.partition(":")
    if kind == "user" and value.isdigit():
        user = get_user_model().objects.filter(pk=int(value)).first()
        if user is None:
            raise LinkNotValid("This link is for an account that no longer exists.", status=404)
        return Holder(recipient, user.email, user)
    if kind == "email" and "@" in value:
        return Holder(recipient, value)
    raise LinkNotValid("This link is not valid.")


def read_unsubscribe_token(token: str) -> tuple[Holder, list[str]]:
    """The recipient and the groups an unsubscribe link names, if it is genuine."""
    data = _load(token, UNSUBSCRIBE_SALT)
    groups = data.get("g")
    if not isinstance(groups, list) or not groups or not set(groups) <= set(Group.values):
        raise LinkNotValid("This link is not valid.")
    return _holder(data["r"]), [group for group in Group.values if group in groups]


def read_preferences_token(token: str) -> Holder:
    return _holder(_load(token, PREFERENCES_SALT)["r"])


# What an email carries ---------------------------------------------------------------------------


def message_groups(message: Message, notices: list[Notice] | None = None) -> list[str]:
    """The groups a message tells of: its own, or those of the notices gathered in it (the
    ones it is sent with, else read). Kept on the message: its footer and its headers ask."""
    known = getattr(message, "_unsubscribe_groups", None)
    if known is not None:
        return known
    if message.group:
        found = {message.group}
    elif notices is not None:
        found = {notice.group for notice in notices}
    else:
        live = message.notices.filter(superseded_by__isnull=True)
        found = set(live.values_list("group", flat=True))
    message._unsubscribe_groups = [group for group in Group.values if group in found]
    return message._unsubscribe_groups


@functools.cache
def _path_with(name: str) -> str:
    return reverse(name, args=["-token-"])


def _link(name: str, token: str) -> str:
    # reverse() once per URL name: a digest run makes two links for each of 100,000 emails.
    return absolute_url(_path_with(name).replace("-token-", token))


def unsubscribe_url(message: Message) -> str:
    token = unsubscribe_token(recipient=message.recipient, groups=message_groups(message))
    return _link("notifications:unsubscribe", token)


def preferences_url(recipient: str) -> str:
    return _link("notifications:email_choices", preferences_token(recipient=recipient))


def email_headers(message: Message) -> dict[str, str]:
    """RFC 8058's one-click unsubscribe, on every email that can be turned off (none on a
    receipt, a security message or an invitation)."""
    if message.channel != Channel.EMAIL or not message.can_turn_off:
        return {}
    if not message_groups(message):
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Where the footer goes in an email rendered through templates/email/base.html.
FOOTER_MARK = "<!--footer-->"


def with_footer(message: Message, notices: list[Notice], content: dict[str, str]) -> dict[str, str]:
    """The footer of an email that can be turned off: what it is about, Choose what you receive
    and Unsubscribe. Added as the email leaves (not kept in its notices, which the portal shows
    and a gathered email lists)."""
    groups = message_groups(message, notices)
    if message.channel != Channel.EMAIL or not message.can_turn_off or not groups:
        return content
    labels = dict(Group.choices)
    context = {
        "groups": [str(labels[group]) for group in groups],
        "preferences_url": preferences_url(message.recipient),
        "unsubscribe_url": unsubscribe_url(message),
    }
    text = render_to_string("email/footer.txt", context).strip()
    html = render_to_string("email/footer.html", context).strip()
    body = content.get("html", "")
    if body:
        if FOOTER_MARK in body:
            body = body.replace(FOOTER_MARK, html, 1)
        elif "</body>" in body:
            body = body.replace("</body>", html + "</body>", 1)
        else:
            body += html
    return {**content, "text": content["text"].rstrip() + "\n\n" + text + "\n", "html": body}


# Choices -----------------------------------------------------------------------------------------


def always_sent(group: str) -> list[str]:
    """Why some of a group's emails are sent whatever is chosen (a receipt, a security
    message), each reason once."""
    reasons: list[str] = []
    for rule in RULES.values():
        if rule.group == group and not rule.can_turn_off and str(rule.always) not in reasons:
            reasons.append(str(rule.always))
    return reasons


def email_timings(holder: Holder) -> dict[str, str]:
    """Each group's email timing for the holder, as notify would use it."""
    if holder.is_user:
        return {
            group: timings_for([holder.user.pk], group)[holder.user.pk][Channel.EMAIL]
            for group in Group.values
        }
    off = set(AddressOptOut.objects.filter(email=holder.email).values_list("group", flat=True))
    return {group: Timing.OFF if group in off else Timing.NOW for group in Group.values}


@transaction.atomic
def email_off(*, holder: Holder, groups: Iterable[str]) -> None:
    """Turn the holder's email off for these groups (the one-click unsubscribe)."""
    groups = [group for group in groups if group in Group.values]
    if holder.is_user:
        preferences_save(
            user=holder.user,
            choices={(group, Channel.EMAIL): Timing.OFF for group in groups},
        )
    else:
        for group in groups:
            address_opt_out(email=holder.email, group=group)


@transaction.atomic
def email_choices_save(*, holder: Holder, choices: dict[str, str]) -> list[str]:
    """Save the holder's email timing per group ({group: timing}); only what changed is saved
    (a user who leaves a group as it was keeps following their business's default). Returns
    the groups changed."""
    current = email_timings(holder)
    allowed = Timing.values if holder.is_user else ADDRESS_TIMINGS
    changed = [
        group
        for group, timing in choices.items()
        if group in Group.values and timing in allowed and current.get(group) != timing
    ]
    if holder.is_user:
        preferences_save(
            user=holder.user,
            choices={(group, Channel.EMAIL): choices[group] for group in changed},
        )
        return changed
    for group in changed:
        if choices[group] == Timing.OFF:
            address_opt_out(email=holder.email, group=group)
        else:
            AddressOptOut.objects.filter(email=holder.email, group=group).delete()
    return changed
