"""Issue 24, requirements 2 and 3, the side people see: the header's bell, the Notifications page
(filters, mark read, open), each user's preferences (and that `notify` then honours them), a
business's Manager's defaults, and the table of who hears what on the page."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.events import event_record
from notifications import services
from notifications.catalogue import RULES, Channel, Group, Timing
from notifications.models import BusinessDefault, Message, Notice, Preference
from notifications.preferences import audience_of, who_hears_what
from notifications.selectors import BELL_CAP, unread_count_capped
from notifications.services import notify, timings_for
from tests.factories import (
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    verify_email,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    user = UserFactory(username="pat")
    verify_email(user)
    return user


@pytest.fixture
def permit():
    return PermitFactory(number="RES24-0101")


def tell(event_type: str, person, permit) -> list[Notice]:
    """What a subscriber does for `event_type` on `permit`: tells `person` through notify."""
    event = event_record(event_type, subject=permit)
    return notify(
        event,
        to=[person],
        permit=permit,
        template="permit_status_changed",
        context={
            "permit": permit,
            "what": event_type.split(".")[-1],
            "note": "",
            "url": reverse("permits:detail", args=[permit.number]),
        },
    )


def title(notice: Notice) -> str:
    """A notification's subject as the Notifications page shows it (without the email's
    "[City ... Permit Portal]")."""
    return notice.subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)


def unread_notices(user) -> list[Notice]:
    return list(Notice.objects.filter(user=user, in_portal=True, read_at__isnull=True))


# The bell ----------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_leads_to_the_notifications_page(client, user, permit):
    for event_type in ["permit.issued", "permit.finaled", "fee.assessed"]:
        tell(event_type, user, permit)
    client.force_login(user)
    page = client.get(reverse("permits:search")).content.decode()
    bell = re.search(r'<a [^>]*aria-label="Notifications, (\d+) unread"[^>]*>', page)
    assert bell and bell.group(1) == "3"
    assert f'href="{reverse("notifications:list")}"' in bell.group(0)
    Notice.objects.filter(user=user).update(read_at="2024-01-01T00:00Z")
    page = client.get(reverse("permits:search")).content.decode()
    assert 'aria-label="Notifications, 0 unread"' in page


def test_the_bell_counts_up_to_99_plus_and_no_further(client, user, permit):
    """A user with thousands unread costs the header what one with a hundred does."""
    event = event_record("permit.issued", subject=permit)
    Notice.objects.bulk_create(
        Notice(event=event, recipient=f"user:{user.pk}:{n}", user=user, in_portal=True, subject="x")
        for n in range(150)
    )
    assert unread_count_capped(user) == BELL_CAP == 100
    client.force_login(user)
    assert 'aria-label="Notifications, 99+ unread"' in client.get(reverse("dashboard")).text


def test_the_bell_costs_one_query_signed_in_and_none_signed_out(client, user, permit):
    tell("permit.issued", user, permit)
    url = reverse("permits:search")
    client.get(url)
    with CaptureQueriesContext(connection) as anonymous:
        assert client.get(url).status_code == 200
    assert not [q for q in anonymous.captured_queries if "notifications_notice" in q["sql"]]

    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as signed_in:
        page = client.get(url).text
    counting = [q for q in signed_in.captured_queries if "notifications_notice" in q["sql"]]
    assert len(counting) == 1 and "COUNT" in counting[0]["sql"].upper()
    assert 'aria-label="Notifications, 1 unread"' in page


def test_staff_see_the_bell_in_admin_too(client, permit):
    """From the newcomer walk: admin's header had only a small "Notifications (1)" among its
    user links. It has the portal's bell: the icon (hidden from screen readers: the link's
    name says it) and the count in its pill, none when nothing is unread."""
    clerk = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(clerk)
    bell = re.compile(
        r'<a class="admin-bell" href="/notifications/" aria-label="Notifications, (\d+) unread">'
        r'<svg class="admin-bell-icon" aria-hidden="true" focusable="false"[^>]*>.*?</svg>'
        r'(?:<span class="admin-bell-count">(\d+)</span>)?</a>',
        re.S,
    )
    found = bell.search(client.get(reverse("admin:index")).text)
    assert found and found.groups() == ("0", None)
    tell("permit.issued", clerk, permit)
    found = bell.search(client.get(reverse("admin:index")).text)
    assert found and found.groups() == ("1", "1")


# The Notifications page --------------------------------------------------------------------------


def test_the_page_lists_my_notifications_and_filters_by_group_and_unread(client, user, permit):
    issued = tell("permit.issued", user, permit)[0]
    fees = tell("fee.assessed", user, permit)[0]
    someone_else = UserFactory(username="someone")
    hidden = tell("permit.finaled", someone_else, permit)[0]
    client.force_login(user)
    url = reverse("notifications:list")

    page = client.get(url).text
    assert title(issued) in page and title(fees) in page
    assert title(hidden) not in page
    assert reverse("notifications:open", args=[issued.pk]) in page
    assert settings.ACCOUNT_EMAIL_SUBJECT_PREFIX.strip() not in page.split("</h1>")[1]
    assert "Permit RES24-0101" in page

    page = client.get(url, {"group": Group.FEES}).text
    assert title(fees) in page and title(issued) not in page

    Notice.objects.filter(pk=fees.pk).update(read_at="2024-01-01T00:00Z")
    page = client.get(url, {"unread": "1"}).text
    assert title(issued) in page and title(fees) not in page
    # A group that is no group shows everything, not an error.
    assert client.get(url, {"group": "nonsense"}).status_code == 200


def test_mark_one_read_and_mark_all_read(client, user, permit):
    first = tell("permit.issued", user, permit)[0]
    tell("fee.assessed", user, permit)
    tell("permit.finaled", user, permit)
    client.force_login(user)
    assert "Mark all read (3)" in client.get(reverse("notifications:list")).text
    response = client.post(reverse("notifications:read"), {"notice": first.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert len(unread_notices(user)) == 2
    client.post(reverse("notifications:read"))
    assert unread_notices(user) == []
    assert "Mark all read" not in client.get(reverse("notifications:list")).text


def test_marking_someone_elses_notification_read_is_a_404(client, user, permit):
    theirs = tell("permit.issued", UserFactory(username="other"), permit)[0]
    client.force_login(user)
    assert client.post(reverse("notifications:read"), {"notice": theirs.pk}).status_code == 404
    assert client.post(reverse("notifications:read"), {"notice": "9" * 30}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, user, permit):
    notice = tell("permit.issued", user, permit)[0]
    client.force_login(user)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302
    assert response.url == reverse("permits:detail", args=[permit.number])
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notification_without_a_link_opens_its_permit(client, user, permit):
    notice = tell("permit.issued", user, permit)[0]
    Notice.objects.filter(pk=notice.pk).update(link="https://elsewhere.example/phish")
    client.force_login(user)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response.url == reverse("permits:detail", args=[permit.number])


def test_opening_someone_elses_notification_is_a_404(client, user, permit):
    theirs = tell("permit.issued", UserFactory(username="other"), permit)[0]
    client.force_login(user)
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[10**20])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_pages_need_a_sign_in(client, permit):
    for url in [
        reverse("notifications:list"),
        reverse("notifications:preferences"),
        reverse("notifications:open", args=[1]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


# Preferences -------------------------------------------------------------------------------------


def selected(page: str, group: str, channel: str) -> str:
    select = re.search(rf'<select name="{group}-{channel}".*?</select>', page, re.S)
    assert select, f"{group}-{channel} not on the page"
    return re.search(r'<option value="(\w+)" selected>', select.group(0)).group(1)


def post_choices(client, url: str, changes: dict[tuple[str, str], str], shown: str):
    """Post the form as the page showed it, with `changes`."""
    data = {
        f"{group}-{channel}": selected(shown, group, channel)
        for group in Group.values
        for channel in Channel.values
    }
    data.update({f"{group}-{channel}": timing for (group, channel), timing in changes.items()})
    return client.post(url, data)


def test_the_preferences_page_shows_the_defaults_as_chosen(client, user):
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).text
    for group in Group.values:
        assert selected(page, group, Channel.EMAIL) == Timing.NOW
        assert selected(page, group, Channel.PORTAL) == Timing.NOW
        assert selected(page, group, Channel.SMS) == Timing.OFF
    assert "At once" in page and "Daily digest" in page


def test_the_page_says_what_is_always_sent_and_why_and_who_hears_what(client, user):
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).text
    always = page.split('id="always-heading"')[1].split('id="who-heading"')[0]
    assert str(RULES["payment.completed"].label) in always and "a receipt" in always
    assert str(RULES["account.second_factor_locked"].label) in always and "security" in always
    assert str(RULES["permit.contact_invited"].label) in always and "invitation" in always
    assert "A link to reset your password" in always
    assert str(RULES["fee.assessed"].label) not in always
    who = page.split('id="who-heading"')[1]
    rows = re.findall(r'<tr>\s*<th scope="row">', who)
    # A contractor's rows: none only the city's people hear.
    shown = who_hears_what(audience_of(user))
    assert len(rows) == len(shown) and 0 < len(shown) < len(who_hears_what())
    assert "the business&#x27;s users with the Pay role" in who
    assert "No: always sent (a receipt" in who
    assert "the intake clerks" not in who


def test_without_a_verified_number_the_page_says_no_text_messages_go(client, user, monkeypatch):
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).text
    assert "You have no verified mobile number" in page
    assert re.search(r'aria-describedby="sms-note id_\w+-sms-source"', page)
    phone = reverse("notifications:phone")
    assert f'<a class="alert-link" href="{phone}">Add and verify a mobile number</a>' in page

    monkeypatch.setattr(services, "_sms_numbers", [lambda ids: {user.pk: "+12175550100"}])
    page = client.get(reverse("notifications:preferences")).text
    assert "You have no verified mobile number" not in page
    assert "the mobile number you verified" in page
    assert "sms-note" not in page


def test_where_the_city_sends_no_texts_there_is_no_text_message_column(client, user, settings):
    settings.SMS_PROVIDER = ""
    client.force_login(user)
    url = reverse("notifications:preferences")
    page = client.get(url).text
    assert "The city does not send text messages" in page
    assert f'name="{Group.PERMITS}-{Channel.SMS}"' not in page
    assert ">Text message<" not in page
    data = {
        f"{group}-{channel}": Timing.NOW
        for group in Group.values
        for channel in ["email", "portal"]
    }
    data[f"{Group.PERMITS}-{Channel.EMAIL}"] = Timing.OFF
    assert client.post(url, data).status_code == 302
    assert list(Preference.objects.values_list("group", "channel", "timing")) == [
        (Group.PERMITS, Channel.EMAIL, Timing.OFF)
    ]


def test_saving_keeps_only_what_i_changed(client, user):
    client.force_login(user)
    url = reverse("notifications:preferences")
    shown = client.get(url).text
    response = post_choices(client, url, {(Group.PERMITS, Channel.EMAIL): Timing.OFF}, shown)
    assert response.status_code == 302
    assert list(Preference.objects.values_list("user", "group", "channel", "timing")) == [
        (user.pk, Group.PERMITS, Channel.EMAIL, Timing.OFF)
    ]
    page = client.get(url).text
    assert selected(page, Group.PERMITS, Channel.EMAIL) == Timing.OFF
    assert "Your notification preferences were saved." in page


def test_a_choice_that_is_no_choice_is_a_message_not_an_error(client, user):
    client.force_login(user)
    url = reverse("notifications:preferences")
    shown = client.get(url).text
    response = post_choices(client, url, {(Group.PERMITS, Channel.EMAIL): "sometimes"}, shown)
    assert response.status_code == 400
    assert "For email, choose At once, Daily digest or Off." in response.text
    empty = client.post(url, {})
    assert empty.status_code == 400 and "Nothing was saved" in empty.text
    assert not Preference.objects.exists()


def test_email_off_sends_no_email_but_keeps_it_in_the_portal(client, user, permit):
    client.force_login(user)
    url = reverse("notifications:preferences")
    post_choices(client, url, {(Group.PERMITS, Channel.EMAIL): Timing.OFF}, client.get(url).text)
    mail.outbox.clear()
    notice = tell("permit.finaled", user, permit)[0]
    assert mail.outbox == []
    assert notice.in_portal
    assert title(notice) in client.get(reverse("notifications:list")).text
    # Another group still comes by email.
    tell("fee.assessed", user, permit)
    assert len(mail.outbox) == 1


def test_portal_off_keeps_it_off_the_notifications_page(client, user, permit):
    client.force_login(user)
    url = reverse("notifications:preferences")
    post_choices(client, url, {(Group.PERMITS, Channel.PORTAL): Timing.OFF}, client.get(url).text)
    notice = tell("permit.finaled", user, permit)[0]
    assert not notice.in_portal
    assert title(notice) not in client.get(reverse("notifications:list")).text


def test_daily_digest_gathers_into_the_digest(client, user, permit):
    client.force_login(user)
    url = reverse("notifications:preferences")
    post_choices(
        client, url, {(Group.INSPECTIONS, Channel.EMAIL): Timing.DIGEST}, client.get(url).text
    )
    mail.outbox.clear()
    notice = tell("inspection.resulted", user, permit)[0]
    message = Message.objects.get(notices=notice)
    assert message.key == "digest" and message.state == "open"
    assert mail.outbox == []


def test_turning_fees_email_off_still_sends_receipts(client, user, permit):
    """What cannot be turned off is per event, the choice per group: Fees and payments off by
    email silences fees assessed, never a receipt."""
    client.force_login(user)
    url = reverse("notifications:preferences")
    post_choices(client, url, {(Group.FEES, Channel.EMAIL): Timing.OFF}, client.get(url).text)
    assert Preference.objects.get(group=Group.FEES, channel=Channel.EMAIL).timing == Timing.OFF
    mail.outbox.clear()
    tell("fee.assessed", user, permit)
    assert mail.outbox == []
    tell("payment.completed", user, permit)
    assert len(mail.outbox) == 1


# A business's Manager's defaults -----------------------------------------------------------------


@pytest.fixture
def business():
    license = LicenseFactory()
    manager = contractor_user(license, username="boss", can_manage=True)
    member = contractor_user(license, username="crew", can_apply=True)
    return license.holder, manager, member


def test_account_management_links_preferences_and_a_managers_defaults(client, business):
    contractor, manager, member = business
    defaults = reverse("notifications:business_defaults", args=[contractor.pk])
    client.force_login(manager)
    page = client.get(reverse("accounts:manage")).text
    assert reverse("notifications:preferences") in page
    assert defaults in page
    client.force_login(member)
    page = client.get(reverse("accounts:manage")).text
    assert reverse("notifications:preferences") in page
    assert defaults not in page


def test_a_manager_sets_defaults_that_reach_members_without_their_own_choice(client, business):
    contractor, manager, member = business
    chooser = contractor_user(LicenseFactory(holder=contractor), username="chooser", can_pay=True)
    Preference.objects.create(
        user=chooser, group=Group.PERMITS, channel=Channel.EMAIL, timing=Timing.NOW
    )
    client.force_login(manager)
    url = reverse("notifications:business_defaults", args=[contractor.pk])
    shown = client.get(url).text
    assert contractor.business_name in shown
    response = post_choices(client, url, {(Group.PERMITS, Channel.EMAIL): Timing.DIGEST}, shown)
    assert response.status_code == 302
    assert list(
        BusinessDefault.objects.values_list("group", "channel", "timing", "updated_by")
    ) == [(Group.PERMITS, Channel.EMAIL, Timing.DIGEST, manager.pk)]
    assert selected(client.get(url).text, Group.PERMITS, Channel.EMAIL) == Timing.DIGEST

    timings = timings_for([member.pk, chooser.pk], Group.PERMITS)
    assert timings[member.pk][Channel.EMAIL] == Timing.DIGEST
    assert timings[chooser.pk][Channel.EMAIL] == Timing.NOW
    # The member's own page shows the business's default as what they get.
    client.force_login(member)
    page = client.get(reverse("notifications:preferences")).text
    assert selected(page, Group.PERMITS, Channel.EMAIL) == Timing.DIGEST
    # ...and notify follows it: the member's message waits for the digest, the chooser's not.
    permit = PermitFactory()
    mail.outbox.clear()
    tell("permit.finaled", member, permit)
    tell("permit.finaled", chooser, permit)
    assert Message.objects.get(user=member).key == "digest"
    assert [m.to for m in mail.outbox] == [[chooser.email]]


def test_a_business_i_do_not_manage_is_a_404(client, business):
    contractor, _manager, member = business
    url = reverse("notifications:business_defaults", args=[contractor.pk])
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    other = contractor_user(LicenseFactory(), username="rival", can_manage=True)
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(reverse("notifications:business_defaults", args=[10**20])).status_code == 404
    assert not BusinessDefault.objects.exists()


def test_mark_all_read_under_a_filter_marks_only_that_group(client, user, permit):
    """From the newcomer walk: with Fees and payments shown, "Mark all read" marked every
    group's and dropped the filter."""
    tell("permit.issued", user, permit)
    fees = tell("fee.assessed", user, permit)[0]
    client.force_login(user)
    url = reverse("notifications:list") + "?group=fees"
    assert "Mark all read in Fees and payments" in client.get(url).text
    response = client.post(reverse("notifications:read"), {"group": "fees", "next": url})
    assert response.url == url
    assert [notice.event.type for notice in unread_notices(user)] == ["permit.issued"]
    fees.refresh_from_db()
    assert fees.read_at is not None


# Breadcrumbs ------------------------------------------------------------------------------------


class Crumbs(HTMLParser):
    """A page's breadcrumb trail (each item's text and link) and its heading."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str | None]] = []
        self.heading = ""
        self._in_trail = self._in_item = self._in_heading = False
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") == "Breadcrumb":
            self._in_trail = True
        elif self._in_trail and tag == "li":
            self._in_item, self._href = True, None
            self.items.append(("", None))
        elif self._in_trail and tag == "a":
            self._href = attrs.get("href")
            self.items[-1] = (self.items[-1][0], self._href)
        elif tag == "h1":
            self._in_heading = True

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_trail = False
        elif tag == "li":
            self._in_item = False
        elif tag == "h1":
            self._in_heading = False

    def handle_data(self, data):
        if self._in_trail and self._in_item:
            text, href = self.items[-1]
            self.items[-1] = ((text + data).strip(), href)
        elif self._in_heading:
            self.heading += data.strip()


def test_the_notifications_pages_breadcrumbs_lead_elsewhere_and_repeat_nothing(client, business):
    """From the newcomer walk: the Text messages page's trail ended with "Text messages", the
    heading right below it. Each trail names the section the page is in, each item once, each
    a link to another page."""
    contractor, manager, _ = business
    client.force_login(manager)
    pages = {
        reverse("notifications:phone"): [("Notifications", reverse("notifications:list"))],
        reverse("notifications:business_defaults", args=[contractor.pk]): [
            ("Account Management", reverse("accounts:manage"))
        ],
        reverse("notifications:list"): [],
        reverse("notifications:preferences"): [],
    }
    for path, trail in pages.items():
        page = Crumbs()
        page.feed(client.get(path).text)
        assert page.items == trail, path
        assert page.heading and page.heading not in [text for text, _ in page.items], path
