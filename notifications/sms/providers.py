"""The text message providers: the only code that speaks to one. Tests replace Twilio's address
(TWILIO_API_URL: a local fake server), never this module.

A provider sends a text and returns its id; when it reports delivery later, or passes on a
text someone sent to the city's number (STOP, START), it calls the portal's webhooks, and the
provider checks that each call is its own (its signature) and reads it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from requests import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from core.mail import absolute_url

logger = logging.getLogger("portal.notifications")


class SmsError(Exception):
    """The provider refused this text for good (trying again will not help)."""


class NumberOptedOut(SmsError):
    """The number replied STOP: the provider refuses to text it until it replies START."""


class NumberRefused(SmsError):
    """The provider cannot text this number (not a mobile number, a country not enabled)."""


class SmsUnavailable(ConnectionError):
    """The provider did not answer, or failed on its side: worth trying again later (a
    ConnectionError, so the beat's retry treats it as it treats a mail server that is down)."""


@dataclass(frozen=True)
class StatusReport:
    """A provider's word on a text it sent: "delivered", "failed", or "" (still on its way)."""

    provider_id: str
    state: str
    number: str = ""
    error_code: str = ""
    # The provider refused it because the number replied STOP.
    opted_out: bool = False


@dataclass(frozen=True)
class InboundText:
    """A text someone sent to the city's number, and the keyword it is: "stop", "start" or ""."""

    number: str
    keyword: str


# The carriers' (and Twilio's) keywords: the whole text, whatever its case.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


def keyword_of(body: str) -> str:
    word = "".join(ch for ch in body.strip().upper() if ch.isalnum() or ch == " ").strip()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return ""


class SmsProvider:
    """What the portal asks of a text message provider. An implementation sends (`send`), and,
    if it calls back, says whether a webhook call is its own (`is_signed`) and reads it
    (`status_report`, `inbound_text`, `inbound_answer`)."""

    name = ""
    calls_back = False

    def send(self, to: str, body: str) -> str:
        """Send `body` to `to` (E.164) and return the provider's id for the text. Raises
        NumberOptedOut / NumberRefused for a number it will not text, SmsUnavailable when it
        could not be reached (try again later)."""
        raise NotImplementedError

    def is_signed(self, request: HttpRequest) -> bool:
        return False

    def status_report(self, request: HttpRequest) -> StatusReport | None:
        return None

    def inbound_text(self, request: HttpRequest) -> InboundText | None:
        return None

    def inbound_answer(self) -> HttpResponse:
        return HttpResponse(status=204)


class OfflineProvider(SmsProvider):
    """The demo's provider: each text is a file under SMS_FILE_PATH (as the demo's email is a
    file under var/mail/), read there instead of on a phone. It never calls back."""

    name = "offline"

    def send(self, to: str, body: str) -> str:
        provider_id = f"offline-{uuid.uuid4().hex}"
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        path = folder / f"{now:%Y%m%d-%H%M%S}-{provider_id}.txt"
        path.write_text(f"To: {to}\nId: {provider_id}\nDate: {now.isoformat()}\n\n{body}\n")
        return provider_id


class TwilioProvider(SmsProvider):
    """Twilio, through its official package (`twilio.rest.Client`). Each text names the status
    callback; the inbound webhook is set on the number (or Messaging Service) in Twilio's
    console. Webhooks are signed with the Auth Token (HMAC-SHA1), or with a SharedKey when a
    Webhook Setting says so (its header names the algorithm)."""

    name = "twilio"
    calls_back = True

    # Twilio's code for a number that replied STOP (any other 4xx: a number it cannot text).
    OPTED_OUT = {21610}

    def client(self) -> Client:
        return Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=PortalTwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )

    def send(self, to: str, body: str) -> str:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        try:
            text = self.client().messages.create(
                to=to,
                body=body,
                status_callback=absolute_url(reverse("notifications:sms_status")),
                **sender,
            )
        except TwilioRestException as error:
            detail = f"Twilio error {error.code or error.status}: {error.msg}"[:250]
            if error.code in self.OPTED_OUT:
                raise NumberOptedOut(detail) from None
            if error.status == 429 or error.status >= 500:
                raise SmsUnavailable(detail) from None
            raise NumberRefused(detail) from None
        except RequestException as error:
            raise SmsUnavailable(f"Twilio not reached: {type(error).__name__}") from None
        return text.sid

    def is_signed(self, request: HttpRequest) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        signing = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
        # No settings header: the Auth Token and HMAC-SHA1. With one: the SharedKey and the
        # algorithm it names (refused when the portal has no SharedKey to check it with).
        secret = settings.TWILIO_WEBHOOK_SHARED_KEY if signing else settings.TWILIO_AUTH_TOKEN
        if not signature or not secret:
            return False
        validator = RequestValidator(secret)
        algorithm = get_signature_algorithm(signing)
        # Twilio signs the address it called: the one the portal gave it (PORTAL_BASE_URL), or
        # the one this request was made to when the proxy passes the host and scheme through.
        addresses = {absolute_url(request.get_full_path()), request.build_absolute_uri()}
        return any(
            validator.validate(address, request.POST, signature, algorithm) for address in addresses
        )

    def status_report(self, request: HttpRequest) -> StatusReport | None:
        provider_id = request.POST.get("MessageSid", "") or request.POST.get("SmsSid", "")
        if not provider_id:
            return None
        status = request.POST.get("MessageStatus", "") or request.POST.get("SmsStatus", "")
        state = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}.get(
            status, ""
        )
        error_code = request.POST.get("ErrorCode", "")
        return StatusReport(
            provider_id=provider_id,
            state=state,
            number=request.POST.get("To", ""),
            error_code=error_code,
            opted_out=error_code in {str(code) for code in self.OPTED_OUT},
        )

    def inbound_text(self, request: HttpRequest) -> InboundText | None:
        number = request.POST.get("From", "")
        if not number:
            return None
        # With Advanced Opt-Out, Twilio says which keyword it matched (its own list).
        opt_out_type = request.POST.get("OptOutType", "").upper()
        keyword = {"STOP": "stop", "START": "start"}.get(opt_out_type) or keyword_of(
            request.POST.get("Body", "")
        )
        return InboundText(number=number, keyword=keyword)

    def inbound_answer(self) -> HttpResponse:
        # An empty TwiML answer: Twilio itself confirms STOP and START to the sender.
        return HttpResponse(str(MessagingResponse()), content_type="text/xml")


TWILIO_API = "https://api.twilio.com"


class PortalTwilioHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, speaking to TWILIO_API_URL when one is set (the tests' local
    fake Twilio) instead of https://api.twilio.com."""

    def request(self, method, url, *args, **kwargs):
        base = settings.TWILIO_API_URL.rstrip("/")
        if base and url.startswith(TWILIO_API):
            url = base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


PROVIDERS: dict[str, type[SmsProvider]] = {"offline": OfflineProvider, "twilio": TwilioProvider}


def provider() -> SmsProvider | None:
    """The provider SMS_PROVIDER names, or None: no texts are sent."""
    chosen = PROVIDERS.get(settings.SMS_PROVIDER)
    return chosen() if chosen else None
