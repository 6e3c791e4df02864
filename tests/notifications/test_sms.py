"""Issue 24, requirement 8: text messages. Twilio is a local fake HTTP server (a thread in the
test) that answers as Twilio's Messages API does, reached through the official `twilio` package;
its webhooks are signed for real with twilio's RequestValidator. A number gets texts only once
its holder typed the code texted to it; STOP and START from the number are honoured."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from core.mail import absolute_url
from notifications.catalogue import Channel, Group, Timing
from notifications.models import Message, MessageState, PhoneNumber, Preference
from notifications.sending import send_due_messages
from notifications.sms.services import normalize_number, text_body
from permits.models import PermitStatus
from tests.factories import LicenseFactory, PermitFactory, UserFactory, contractor_user

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-twilio-auth-token"
SHARED_KEY = "test-twilio-shared-key"
FROM = "+12175550100"
NUMBER = "+12175550123"
STATUS_URL = "/notifications/sms/status/"
INBOUND_URL = "/notifications/sms/inbound/"


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1: checks the account's Basic auth, keeps each text it
    is asked to send and answers with its sid, or with the error it was told to give."""

    def __init__(self) -> None:
        self.texts: list[dict[str, str]] = []
        self.refuse: tuple[int, int] | None = None  # (HTTP status, Twilio error code)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                secret = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {secret}":
                    return self.answer(401, {"code": 20003, "message": "Authenticate"})
                if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                    return self.answer(404, {"code": 20404, "message": "Not found"})
                if fake.refuse:
                    status, code = fake.refuse
                    return self.answer(
                        status, {"code": code, "message": "Refused", "status": status}
                    )
                sid = "SM" + uuid.uuid4().hex
                fake.texts.append({**form, "sid": sid})
                self.answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": ACCOUNT_SID,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "date_created": "Mon, 07 Dec 2026 22:00:00 +0000",
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                    },
                )

            def answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def code(self) -> str:
        return re.search(r"code is (\d{6})", self.texts[-1]["Body"]).group(1)


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()  # the per-day code limits count in the cache


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WEBHOOK_SHARED_KEY = ""
    settings.TWILIO_API_URL = fake.url
    yield fake
    fake.close()


def signed_post(client, path: str, data: dict, *, token: str = AUTH_TOKEN, **headers):
    signature = RequestValidator(token).compute_signature(absolute_url(path), data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature, **headers)


def texts_on(user, timing: str = Timing.NOW, group: str = Group.PERMITS) -> None:
    Preference.objects.create(user=user, group=group, channel=Channel.SMS, timing=timing)


def verified(user, number: str = NUMBER) -> PhoneNumber:
    return PhoneNumber.objects.create(user=user, number=number, verified_at=timezone.now())


@pytest.fixture
def manager():
    """A business's manager, who hears what happens to its permits (issued, expired, ...)."""
    license = LicenseFactory()
    user = contractor_user(license, can_manage=True)
    return user, PermitFactory(licenses=[license], status=PermitStatus.ISSUED)


def move(permit, status, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        permit.move_to(status)


# Sending ----------------------------------------------------------------------------------------


def test_an_event_is_texted_through_twilio_with_its_subject_and_link_and_the_sid_kept(
    twilio, manager, django_capture_on_commit_callbacks
):
    user, permit = manager
    verified(user)
    texts_on(user)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)

    [text] = twilio.texts
    message = Message.objects.get(channel=Channel.SMS)
    notice = message.notices.get()
    subject = notice.subject.removeprefix("[City of Springfield Permit Portal] ")
    link = absolute_url(reverse("permits:detail", args=[permit.number]))
    assert text["Body"] == f"City of Springfield: {subject} {link}"
    assert f"Permit {permit.number} expired" in text["Body"]
    assert text["To"] == NUMBER and text["From"] == FROM
    assert text["StatusCallback"] == absolute_url(STATUS_URL)
    assert message.state == MessageState.SENT
    assert message.provider_id == text["sid"]
    assert message.address == NUMBER


def test_a_burst_on_one_permit_is_one_short_text_with_the_permits_link(
    twilio, manager, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_GATHER_SECONDS = 120
    user, permit = manager
    verified(user)
    texts_on(user)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    move(permit, PermitStatus.CANCELLED, django_capture_on_commit_callbacks)
    assert twilio.texts == []

    send_due_messages(now=timezone.now() + timedelta(minutes=3))

    [text] = twilio.texts
    link = absolute_url(reverse("permits:detail", args=[permit.number]))
    assert text["Body"] == f"City of Springfield: 2 updates on permit {permit.number}: {link}"
    assert len(text["Body"]) <= 160


def test_a_digest_text_counts_its_notices_and_links_the_notifications_page():
    message = Message(channel=Channel.SMS, key="digest")
    body = text_body(message, [object(), object(), object()])
    assert body == (
        "City of Springfield: 3 updates on the Permit Portal: "
        + absolute_url(reverse("notifications:list"))
    )


def test_a_messaging_service_sends_instead_of_one_number(
    twilio, manager, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    user, permit = manager
    verified(user)
    texts_on(user)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    [text] = twilio.texts
    assert text["MessagingServiceSid"] == settings.TWILIO_MESSAGING_SERVICE_SID
    assert "From" not in text


def test_twilio_down_leaves_the_text_to_be_tried_again(
    twilio, manager, django_capture_on_commit_callbacks
):
    user, permit = manager
    verified(user)
    texts_on(user)
    twilio.refuse = (503, 20503)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    message = Message.objects.get(channel=Channel.SMS)
    assert message.state == MessageState.OPEN
    assert message.attempts == 1
    assert "Twilio error 20503" in message.detail

    twilio.refuse = None
    send_due_messages(now=timezone.now() + timedelta(minutes=5))
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.provider_id == twilio.texts[0]["sid"]


# Delivery reports -------------------------------------------------------------------------------


@pytest.fixture
def sent_text(twilio, manager, django_capture_on_commit_callbacks):
    user, permit = manager
    verified(user)
    texts_on(user)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    return Message.objects.get(channel=Channel.SMS)


def test_a_signed_status_callback_marks_the_text_delivered(client, sent_text):
    data = {"MessageSid": sent_text.provider_id, "MessageStatus": "delivered", "To": NUMBER}
    response = signed_post(client, STATUS_URL, data)
    assert response.status_code == 204
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.DELIVERED

    # A late "sent" report does not undo it.
    signed_post(client, STATUS_URL, {**data, "MessageStatus": "sent"})
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.DELIVERED


def test_an_undelivered_text_is_failed_with_twilios_error(client, sent_text):
    data = {
        "MessageSid": sent_text.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "To": NUMBER,
    }
    assert signed_post(client, STATUS_URL, data).status_code == 204
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.FAILED
    assert sent_text.detail == "Not delivered (provider error 30003)"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "bm90IGEgc2lnbmF0dXJl",
        # Signed with another token, or for another address.
        RequestValidator("someone-else").compute_signature(absolute_url(STATUS_URL), {}),
    ],
)
def test_a_status_callback_without_a_good_signature_is_refused(client, sent_text, signature):
    data = {"MessageSid": sent_text.provider_id, "MessageStatus": "delivered"}
    if signature and signature != "bm90IGEgc2lnbmF0dXJl":
        signature = RequestValidator("someone-else").compute_signature(
            absolute_url(STATUS_URL), data
        )
    response = client.post(STATUS_URL, data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.SENT


def test_a_signature_for_other_parameters_is_refused(client, sent_text):
    signed_for = {"MessageSid": sent_text.provider_id, "MessageStatus": "sent"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(absolute_url(STATUS_URL), signed_for)
    response = client.post(
        STATUS_URL,
        {**signed_for, "MessageStatus": "delivered"},
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 403
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.SENT


def test_a_callback_signed_with_a_shared_key_is_checked_with_its_algorithm(
    client, sent_text, settings
):
    data = {"MessageSid": sent_text.provider_id, "MessageStatus": "delivered"}
    signing = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    signature = RequestValidator(SHARED_KEY).compute_signature(
        absolute_url(STATUS_URL), data, "HMAC_SHA256"
    )
    headers = {
        "HTTP_X_TWILIO_SIGNATURE": signature,
        "HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS": signing,
    }

    # Without the SharedKey the portal cannot check it: refused.
    assert client.post(STATUS_URL, data, **headers).status_code == 403
    settings.TWILIO_WEBHOOK_SHARED_KEY = SHARED_KEY
    assert client.post(STATUS_URL, data, **headers).status_code == 204
    sent_text.refresh_from_db()
    assert sent_text.state == MessageState.DELIVERED


def test_the_offline_provider_has_no_webhooks(client, settings):
    settings.SMS_PROVIDER = "offline"
    assert signed_post(client, STATUS_URL, {"MessageSid": "x"}).status_code == 404
    assert signed_post(client, INBOUND_URL, {"From": NUMBER, "Body": "STOP"}).status_code == 404


# Verification -----------------------------------------------------------------------------------


def test_no_text_goes_to_a_number_before_it_is_verified(
    client, twilio, manager, django_capture_on_commit_callbacks
):
    user, permit = manager
    texts_on(user)
    client.force_login(user)
    client.post(reverse("notifications:phone"), {"action": "add", "number": "(217) 555-0123"})
    assert len(twilio.texts) == 1  # the code, and nothing else

    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)

    assert len(twilio.texts) == 1
    assert not Message.objects.filter(channel=Channel.SMS).exists()
    assert Message.objects.filter(channel=Channel.EMAIL, user=user).exists()


def test_a_number_is_verified_by_the_code_texted_to_it(client, twilio):
    user = UserFactory()
    client.force_login(user)
    page = reverse("notifications:phone")
    assert client.get(page).status_code == 200

    response = client.post(page, {"action": "add", "number": "(217) 555-0123"}, follow=True)
    assert "We texted a code to (217) 555-0123" in response.content.decode()
    [text] = twilio.texts
    assert text["To"] == NUMBER
    assert text["Body"].startswith("City of Springfield Permit Portal: your code is ")
    phone = PhoneNumber.objects.get(user=user)
    assert phone.number == NUMBER and phone.verified_at is None
    assert twilio.code() not in phone.code_hash

    response = client.post(page, {"action": "verify", "code": twilio.code()}, follow=True)
    assert "(217) 555-0123 is verified" in response.content.decode()
    phone.refresh_from_db()
    assert phone.verified_at is not None
    assert phone.code_hash == ""


def verify_on_the_page(client, twilio, user) -> str:
    client.force_login(user)
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": "(217) 555-0123"})
    return client.post(page, {"action": "verify", "code": twilio.code()}, follow=True).text


def test_verifying_a_number_turns_texts_on_for_what_needs_action(
    client, twilio, manager, django_capture_on_commit_callbacks
):
    """From the newcomer walk: texts are off by default, so verifying a number changed nothing
    anyone could see. Verifying turns them on at once for each group with something that needs
    the person's action (the catalogue's `needs_action`), and the page says what is texted,
    with the link to change it."""
    user, permit = manager
    page = verify_on_the_page(client, twilio, user)
    sms = dict(
        Preference.objects.filter(user=user, channel=Channel.SMS).values_list("group", "timing")
    )
    assert sms == {
        Group.APPLICATIONS: Timing.NOW,
        Group.FEES: Timing.NOW,
        Group.PERMITS: Timing.NOW,
        Group.ACCOUNT: Timing.NOW,
    }
    # Inspections asks nothing of anyone (a confirmation, a result): not texted.
    texted = page.split('id="texted"')[1].split("</div>")[0]
    assert (
        "<strong>At once</strong>: Applications and reviews, Fees and payments, Permit status and"
        " expiry, Account and licenses" in texted
    )
    assert "<strong>Off</strong>: Inspections" in texted
    assert f'href="{reverse("notifications:preferences")}">Change what you get by text' in texted
    # And a permit of theirs expiring is texted.
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    assert [t["To"] for t in twilio.texts[1:]] == [NUMBER]


def test_verifying_keeps_what_the_person_or_their_business_chose_for_texts(client, twilio, manager):
    from notifications.services import business_defaults_save

    user, _permit = manager
    texts_on(user, Timing.OFF, Group.PERMITS)
    business = user.memberships.get().contractor
    business_defaults_save(
        contractor=business, by=user, choices={(Group.FEES, Channel.SMS): Timing.OFF}
    )
    verify_on_the_page(client, twilio, user)
    sms = dict(
        Preference.objects.filter(user=user, channel=Channel.SMS).values_list("group", "timing")
    )
    assert sms == {
        Group.PERMITS: Timing.OFF,  # theirs
        Group.APPLICATIONS: Timing.NOW,
        Group.ACCOUNT: Timing.NOW,
    }  # fees: the business's default (off) still applies
    # A second number verified later changes nothing they have by then.
    Preference.objects.filter(user=user, group=Group.APPLICATIONS, channel=Channel.SMS).update(
        timing=Timing.OFF
    )
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": "(217) 555-0199"})
    client.post(page, {"action": "verify", "code": twilio.code()})
    assert PhoneNumber.objects.get(user=user).verified_at is not None
    assert (
        Preference.objects.get(user=user, group=Group.APPLICATIONS, channel="sms").timing == "off"
    )


def test_wrong_codes_are_limited_and_then_the_code_is_spent(client, twilio, settings):
    settings.SMS_CODE_TRIES = 5
    user = UserFactory()
    client.force_login(user)
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": NUMBER})
    right = twilio.code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    for left in (4, 3, 2, 1):
        response = client.post(page, {"action": "verify", "code": wrong})
        assert response.status_code == 400
        assert f"That code is not right. {left} tr" in response.content.decode()
    response = client.post(page, {"action": "verify", "code": wrong})
    assert "no tries are left" in response.content.decode()

    # The right code now comes too late.
    response = client.post(page, {"action": "verify", "code": right})
    assert "Too many wrong codes. Send a new code." in response.content.decode()
    assert PhoneNumber.objects.get(user=user).verified_at is None

    client.post(page, {"action": "resend"})
    assert len(twilio.texts) == 2
    client.post(page, {"action": "verify", "code": twilio.code()})
    assert PhoneNumber.objects.get(user=user).verified_at is not None


def test_an_expired_code_is_refused(client, twilio):
    user = UserFactory()
    client.force_login(user)
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": NUMBER})
    PhoneNumber.objects.filter(user=user).update(code_expires_at=timezone.now())
    response = client.post(page, {"action": "verify", "code": twilio.code()})
    assert "That code has expired" in response.content.decode()
    assert PhoneNumber.objects.get(user=user).verified_at is None


def test_codes_a_day_are_limited_per_user_and_per_number(client, twilio, settings):
    settings.SMS_CODES_PER_DAY = 2
    user = UserFactory()
    client.force_login(user)
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": NUMBER})
    client.post(page, {"action": "resend"})
    response = client.post(page, {"action": "resend"})
    assert "Too many codes sent today" in response.content.decode()
    assert len(twilio.texts) == 2

    # Another account cannot send that number more codes.
    client.force_login(UserFactory())
    response = client.post(page, {"action": "add", "number": "217-555-0123"})
    assert "Too many codes sent today" in response.content.decode()
    assert len(twilio.texts) == 2


def test_a_new_number_starts_unverified_and_removing_it_stops_texts(client, twilio):
    user = UserFactory()
    verified(user)
    client.force_login(user)
    page = reverse("notifications:phone")
    assert "Verified" in client.get(page).content.decode()

    client.post(page, {"action": "add", "number": "+44 7700 900123"})
    phone = PhoneNumber.objects.get(user=user)
    assert phone.number == "+447700900123" and phone.verified_at is None

    response = client.post(page, {"action": "remove"}, follow=True)
    assert "Your mobile number was removed" in response.content.decode()
    assert not PhoneNumber.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "typed", ["", "call me", "555-0123", "(117) 555-0123", "+1 217 555 01234", "+0 123456789"]
)
def test_a_number_that_is_not_one_is_refused_on_the_page(client, twilio, typed):
    client.force_login(UserFactory())
    response = client.post(reverse("notifications:phone"), {"action": "add", "number": typed})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert twilio.texts == []
    assert not PhoneNumber.objects.exists()


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("(217) 555-0123", NUMBER),
        ("217.555.0123", NUMBER),
        ("1 217 555 0123", NUMBER),
        ("+1 (217) 555-0123", NUMBER),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_numbers_are_kept_in_e164(typed, number):
    assert normalize_number(typed) == number


@pytest.mark.parametrize(
    ("status", "code", "said"),
    [
        (400, 21211, "That number cannot receive our texts"),
        (400, 21610, "This number replied STOP to our texts"),
        (500, 20500, "The text could not be sent just now"),
    ],
)
def test_twilio_refusing_the_code_is_said_on_the_page(client, twilio, status, code, said):
    user = UserFactory()
    client.force_login(user)
    twilio.refuse = (status, code)
    response = client.post(reverse("notifications:phone"), {"action": "add", "number": NUMBER})
    assert response.status_code == 400
    assert said in response.content.decode()
    assert PhoneNumber.objects.get(user=user).verified_at is None


def test_the_page_needs_a_sign_in_and_says_when_the_city_sends_no_texts(client, settings):
    page = reverse("notifications:phone")
    assert client.get(page).status_code == 302
    settings.SMS_PROVIDER = ""
    client.force_login(UserFactory())
    assert "The city does not send text messages" in client.get(page).content.decode()
    response = client.post(page, {"action": "add", "number": NUMBER})
    assert "The city does not send text messages" in response.content.decode()
    assert not PhoneNumber.objects.exists()


def test_the_offline_provider_writes_each_text_to_a_file(client, settings, tmp_path):
    settings.SMS_PROVIDER = "offline"
    settings.SMS_FILE_PATH = str(tmp_path)
    user = UserFactory()
    client.force_login(user)
    page = reverse("notifications:phone")
    client.post(page, {"action": "add", "number": NUMBER})
    [written] = tmp_path.iterdir()
    content = written.read_text()
    assert content.startswith(f"To: {NUMBER}\n")
    code = re.search(r"code is (\d{6})", content).group(1)
    client.post(page, {"action": "verify", "code": code})
    assert PhoneNumber.objects.get(user=user).verified_at is not None


# STOP and START ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "End", "QUIT"]
)
def test_stop_and_its_synonyms_opt_the_number_out(client, twilio, word):
    phone = verified(UserFactory())
    response = signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": f" {word} "})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    phone.refresh_from_db()
    assert phone.opted_out_at is not None


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_and_its_synonyms_opt_the_number_back_in(client, twilio, word):
    phone = PhoneNumber.objects.create(
        user=UserFactory(), number=NUMBER, verified_at=timezone.now(), opted_out_at=timezone.now()
    )
    signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": word})
    phone.refresh_from_db()
    assert phone.opted_out_at is None


def test_other_texts_and_unsigned_ones_change_nothing(client, twilio):
    phone = verified(UserFactory())
    signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": "please stop by at 3"})
    response = client.post(INBOUND_URL, {"From": NUMBER, "Body": "STOP"})
    assert response.status_code == 403
    phone.refresh_from_db()
    assert phone.opted_out_at is None


def test_after_stop_an_event_sends_no_text_and_after_start_it_does(
    client, twilio, manager, django_capture_on_commit_callbacks
):
    user, permit = manager
    verified(user)
    texts_on(user)
    signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": "STOP"})

    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    assert twilio.texts == []
    assert not Message.objects.filter(channel=Channel.SMS).exists()
    client.force_login(user)
    assert "You replied STOP" in client.get(reverse("notifications:phone")).content.decode()

    signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": "START"})
    move(permit, PermitStatus.CANCELLED, django_capture_on_commit_callbacks)
    [text] = twilio.texts
    assert f"Permit {permit.number} cancelled" in text["Body"]


def test_a_text_gathered_before_stop_is_dropped_when_due(
    client, twilio, manager, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_GATHER_SECONDS = 120
    user, permit = manager
    verified(user)
    texts_on(user)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    signed_post(client, INBOUND_URL, {"From": NUMBER, "To": FROM, "Body": "STOP"})

    send_due_messages(now=timezone.now() + timedelta(minutes=3))

    assert twilio.texts == []
    message = Message.objects.get(channel=Channel.SMS)
    assert message.state == MessageState.DROPPED
    assert message.detail == "The number replied STOP"


def test_twilios_own_stop_record_opts_the_number_out(
    twilio, manager, django_capture_on_commit_callbacks
):
    """A STOP the portal did not hear (its webhook was down): Twilio refuses the text (21610);
    the number is opted out and the text closed as not sent, never tried again."""
    user, permit = manager
    phone = verified(user)
    texts_on(user)
    twilio.refuse = (400, 21610)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    phone.refresh_from_db()
    assert phone.opted_out_at is not None
    message = Message.objects.get(channel=Channel.SMS)
    assert message.state == MessageState.DROPPED
    assert message.detail == "The number replied STOP"


def test_a_number_twilio_cannot_text_fails_at_once(
    twilio, manager, django_capture_on_commit_callbacks
):
    user, permit = manager
    verified(user)
    texts_on(user)
    twilio.refuse = (400, 21211)
    move(permit, PermitStatus.EXPIRED, django_capture_on_commit_callbacks)
    message = Message.objects.get(channel=Channel.SMS)
    assert message.state == MessageState.FAILED
    assert message.attempts == 1
    assert message.detail.startswith("Twilio error 21211")


# Production -------------------------------------------------------------------------------------


def test_production_refuses_the_offline_provider_and_twilio_without_its_keys():
    from tests.portal.test_settings import PRODUCTION, run_manage

    offline = run_manage("check", **{**PRODUCTION, "SMS_PROVIDER": "offline"})
    assert offline.returncode != 0
    assert "SMS_PROVIDER must be" in offline.stderr
    keyless = run_manage("check", **{**PRODUCTION, "SMS_PROVIDER": "twilio"})
    assert keyless.returncode != 0
    assert "TWILIO_ACCOUNT_SID" in keyless.stderr
    configured = run_manage(
        "check",
        **{
            **PRODUCTION,
            "SMS_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM,
        },
    )
    assert configured.returncode == 0, configured.stderr
