"""Text messages' writes: a user's number (added, verified by a code texted to it, removed), STOP
and START from the number's holder, a provider's delivery report, and the channel's sender.

Notifications are texted only to a number that was verified and is not opted out: `register()`
gives notifications.services that lookup (`register_sms_numbers`), notifications.sending the
sender (`register_sender("sms", ...)`) and a blocker that drops a text whose number was removed,
replaced or opted out after the text was gathered.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.mail import absolute_url, without_subject_prefix
from core.ratelimit import Limit, hit, wait_in_words

from ..catalogue import Channel
from ..models import Message, MessageState, Notice, PhoneNumber
from ..sending import NotSent, register_blocker, register_sender
from ..services import register_sms_numbers, texts_on_for_action
from .providers import NumberOptedOut, NumberRefused, SmsUnavailable, StatusReport, provider
from .selectors import verified_numbers

logger = logging.getLogger("portal.notifications")


class PhoneError(Exception):
    """Something to tell the person on the Text messages page."""


# Numbers ----------------------------------------------------------------------------------------

E164 = re.compile(r"\+[1-9]\d{7,14}")
# A US or Canadian number (the North American Numbering Plan): area code and exchange start 2-9.
NANP = re.compile(r"\+1[2-9]\d{2}[2-9]\d{6}")


def normalize_number(raw: str) -> str:
    """A number as typed ("(217) 555-0123", "217.555.0123", "+44 7700 900123") in E.164
    ("+12175550123"). Without a leading +, a US or Canadian number."""
    text = raw.strip()
    if not text or re.search(r"[^\d\s().+-]", text) or "+" in text[1:]:
        raise ValidationError(_("Enter a mobile number, like (217) 555-0123."), code="invalid")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        number = "+" + digits
    elif len(digits) == 10:
        number = "+1" + digits
    elif len(digits) == 11 and digits.startswith("1"):
        number = "+" + digits
    else:
        number = ""
    if not E164.fullmatch(number) or (number.startswith("+1") and not NANP.fullmatch(number)):
        raise ValidationError(
            _("Enter a mobile number, like (217) 555-0123 (or +44 7700 900123 outside the US)."),
            code="invalid",
        )
    return number


def number_display(number: str) -> str:
    """+12175550123 as (217) 555-0123; other countries' numbers as stored."""
    if NANP.fullmatch(number):
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


# Verification -----------------------------------------------------------------------------------


def _code_hash(phone: PhoneNumber, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the table alone does not give the code away (a million
    # codes are quickly tried against a plain hash).
    value = f"{phone.pk}:{phone.number}:{code}"
    return salted_hmac("notifications.sms.code", value, algorithm="sha256").hexdigest()


def _count_code(user_id: int, number: str) -> None:
    """Each code costs the city a text, and a number that is not the user's could be made to
    receive many: at most SMS_CODES_PER_DAY per user and per number."""
    limit = Limit("sms-code", settings.SMS_CODES_PER_DAY, 24 * 60 * 60)
    for who in (f"user:{user_id}", f"number:{number}"):
        wait = hit(limit, who)
        if wait is not None:
            raise PhoneError(
                _("Too many codes sent today. Try again in %(wait)s.")
                % {"wait": wait_in_words(wait)}
            )


OPTED_OUT = gettext_lazy(
    "This number replied STOP to our texts. Reply START to one of them, then send a new code."
)


def phone_number_add(*, user, number: str) -> PhoneNumber:
    """Make `number` (E.164) the user's number for texts and text it a code to verify it. A new
    number starts unverified (texts stop until it is verified); the same number again gets a new
    code. Raises PhoneError, with what to tell the person, when no code was sent."""
    sms = provider()
    if sms is None:
        raise PhoneError(_("The city does not send text messages."))
    try:
        number = normalize_number(number)
    except ValidationError as error:
        raise PhoneError(error.messages[0]) from None
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().filter(user=user).first()
        if phone is not None and phone.number == number and phone.opted_out_at:
            raise PhoneError(OPTED_OUT)
        _count_code(user.pk, number)
        code = f"{secrets.randbelow(10**6):06d}"
        if phone is None:
            phone = PhoneNumber(user=user, number=number)
        elif phone.number != number:
            phone.number = number
            phone.verified_at = None
            phone.opted_out_at = None
        phone.save()
        phone.code_hash = _code_hash(phone, code)
        phone.code_expires_at = timezone.now() + timedelta(minutes=settings.SMS_CODE_MINUTES)
        phone.code_tries = 0
        phone.save(update_fields=["code_hash", "code_expires_at", "code_tries", "updated_at"])
    # Sent after the commit, so no row is locked while the provider answers.
    body = _(
        "%(city)s Permit Portal: your code is %(code)s. It expires in %(minutes)s minutes. "
        "Reply STOP to stop texts."
    ) % {"city": settings.CITY_NAME, "code": code, "minutes": settings.SMS_CODE_MINUTES}
    try:
        sms.send(number, body)
    except NumberOptedOut:
        numbers_opt_out(number=number)
        raise PhoneError(OPTED_OUT) from None
    except NumberRefused as error:
        logger.info("code not sent to %s: %s", number, error)
        raise PhoneError(
            _("That number cannot receive our texts. Check it is a mobile number.")
        ) from None
    except (SmsUnavailable, OSError) as error:
        logger.warning("code not sent to %s: %s", number, error)
        raise PhoneError(
            _("The text could not be sent just now. Try again in a few minutes.")
        ) from None
    return phone


def phone_code_resend(*, user) -> PhoneNumber:
    """A new code to the user's number (the last one lapsed, or never arrived)."""
    phone = PhoneNumber.objects.filter(user=user).first()
    if phone is None:
        raise PhoneError(_("Add a mobile number first."))
    return phone_number_add(user=user, number=phone.number)


def phone_number_verify(*, user, code: str) -> PhoneNumber:
    """The code texted to the user's number, typed back: the number is verified, and texts are
    turned on for what needs the user's action where nobody chose for texts yet
    (`texts_on_for_action`). Each try is counted before the code is compared (two tries at once
    are two tries), and after SMS_CODE_TRIES wrong ones the code is spent."""
    phone = PhoneNumber.objects.filter(user=user).first()
    if phone is None:
        raise PhoneError(_("Add a mobile number first."))
    if phone.verified_at:
        return phone
    if not phone.code_hash:
        raise PhoneError(_("Send a new code to verify this number."))
    if phone.code_expires_at is None or phone.code_expires_at <= timezone.now():
        raise PhoneError(_("That code has expired. Send a new code."))
    counted = PhoneNumber.objects.filter(
        pk=phone.pk, code_hash=phone.code_hash, code_tries__lt=settings.SMS_CODE_TRIES
    ).update(code_tries=F("code_tries") + 1, updated_at=timezone.now())
    if not counted:
        raise PhoneError(_("Too many wrong codes. Send a new code."))
    if not constant_time_compare(_code_hash(phone, code.strip()), phone.code_hash):
        left = settings.SMS_CODE_TRIES - PhoneNumber.objects.get(pk=phone.pk).code_tries
        if left <= 0:
            raise PhoneError(_("That code is not right, and no tries are left. Send a new code."))
        raise PhoneError(
            ngettext(
                "That code is not right. %(left)s try left.",
                "That code is not right. %(left)s tries left.",
                left,
            )
            % {"left": left}
        )
    now = timezone.now()
    with transaction.atomic():
        verified = PhoneNumber.objects.filter(pk=phone.pk, code_hash=phone.code_hash).update(
            verified_at=now, code_hash="", code_expires_at=None, code_tries=0, updated_at=now
        )
        if verified:
            texts_on_for_action(user=user)
    phone.refresh_from_db()
    return phone


def phone_number_remove(*, user) -> None:
    """No more texts: the number is forgotten (texts gathered for it are dropped when due)."""
    PhoneNumber.objects.filter(user=user).delete()


# STOP and START ---------------------------------------------------------------------------------


def numbers_opt_out(*, number: str) -> int:
    """The number replied STOP: nothing more is texted to it, on any account that has it."""
    now = timezone.now()
    return PhoneNumber.objects.filter(number=number, opted_out_at__isnull=True).update(
        opted_out_at=now, updated_at=now
    )


def numbers_opt_in(*, number: str) -> int:
    """The number replied START: texts to it again."""
    return PhoneNumber.objects.filter(number=number, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=timezone.now()
    )


# Delivery ---------------------------------------------------------------------------------------


def sms_status_record(*, report: StatusReport) -> int:
    """A provider's delivery report on the text message it sent: Delivered or Failed. Reports
    come in any order and more than once; a final state is not changed by a later report."""
    if report.state not in ("delivered", "failed"):
        return 0
    sent = Message.objects.filter(
        channel=Channel.SMS, provider_id=report.provider_id, state=MessageState.SENT
    )
    if report.state == "delivered":
        return sent.update(state=MessageState.DELIVERED, detail="", updated_at=timezone.now())
    if report.opted_out and report.number:
        numbers_opt_out(number=report.number)
    detail = _("Not delivered")
    if report.error_code:
        detail = _("Not delivered (provider error %(code)s)") % {"code": report.error_code}
    return sent.update(state=MessageState.FAILED, detail=detail[:300], updated_at=timezone.now())


# The channel ------------------------------------------------------------------------------------

# A text is read on a phone: the subject and a link, short (one or two segments).
SUBJECT_CHARACTERS = 110


def text_body(message: Message, notices: list[Notice]) -> str:
    """What a text says: one notice's subject and its link; several gathered, how many and the
    permit's page (a permit's burst) or the Notifications page (a digest)."""
    city = settings.CITY_NAME
    if len(notices) == 1:
        notice = notices[0]
        subject = without_subject_prefix(notice.subject).strip()
        if len(subject) > SUBJECT_CHARACTERS:
            subject = subject[: SUBJECT_CHARACTERS - 1].rstrip() + "…"
        link = absolute_url(notice.link or reverse("notifications:list"))
        return f"{city}: {subject} {link}"
    permit = notices[0].permit if message.key.startswith("permit:") else None
    if permit is not None:
        return ngettext(
            "%(city)s: %(count)s update on permit %(number)s: %(link)s",
            "%(city)s: %(count)s updates on permit %(number)s: %(link)s",
            len(notices),
        ) % {
            "city": city,
            "count": len(notices),
            "number": permit.number,
            "link": absolute_url(reverse("permits:detail", args=[permit.number])),
        }
    return ngettext(
        "%(city)s: %(count)s update on the Permit Portal: %(link)s",
        "%(city)s: %(count)s updates on the Permit Portal: %(link)s",
        len(notices),
    ) % {"city": city, "count": len(notices), "link": absolute_url(reverse("notifications:list"))}


# A message's detail, read by staff in admin.
TURNED_OFF = "Text messages are turned off (SMS_PROVIDER)"
REPLIED_STOP = "The number replied STOP"


def send_text(message: Message, notices: list[Notice]) -> str:
    """notifications.sending's sender for the SMS channel: the provider's id for the text. A
    number the provider will not text closes the message (it is not tried again)."""
    sms = provider()
    if sms is None:
        raise NotSent(TURNED_OFF, state=MessageState.DROPPED)
    body = text_body(message, notices)
    message.subject = body[:300]
    try:
        return sms.send(message.address, body)
    except NumberOptedOut:
        # The provider's own record of a STOP the portal did not hear (its webhook was down):
        # the portal's record agrees from now on.
        numbers_opt_out(number=message.address)
        raise NotSent(REPLIED_STOP, state=MessageState.DROPPED) from None
    except NumberRefused as error:
        raise NotSent(str(error)) from None


def sms_blocker(message: Message) -> str:
    """A text gathered for a number that has since been removed, replaced, unverified or
    opted out (STOP) is not sent."""
    if message.channel != Channel.SMS:
        return ""
    if provider() is None:
        return TURNED_OFF
    if message.user_id is None:
        return "No account to text"
    phone = PhoneNumber.objects.filter(user_id=message.user_id).first()
    if phone is None or phone.number != message.address:
        return "The number was removed"
    if phone.verified_at is None:
        return "The number is not verified"
    if phone.opted_out_at is not None:
        return REPLIED_STOP
    return ""


def register() -> None:
    """Called from NotificationsConfig.ready()."""
    register_sender(Channel.SMS, send_text)
    register_blocker(sms_blocker)
    register_sms_numbers(verified_numbers)
