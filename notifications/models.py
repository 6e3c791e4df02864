"""What people chose to hear, and what they were told.

A `Notice` is one event told to one person (their "notification": it is what the portal's
Notifications page lists, and it keeps the message it was rendered as). A `Message` is what
leaves the portal on one channel for one person: one notice, or several gathered (a burst of
events on one permit within a few minutes, a daily digest), with its delivery state.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Channel, Group, Timing, check_timing


class Choice(models.Model):
    """A timing chosen for one group of events on one channel (by a user, or for a business's
    users by its Manager)."""

    group = models.CharField(max_length=20, choices=Group.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    timing = models.CharField(max_length=10, choices=Timing.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        """Only the timings the channel offers (catalogue.CHANNEL_TIMINGS): no daily digest in
        the portal or of texts."""
        super().clean()
        if self.channel in Channel.values and self.timing:
            try:
                check_timing(self.channel, self.timing)
            except ValidationError as error:
                raise ValidationError({"timing": error.messages}) from None


class Preference(Choice):
    """A user's choice for one group of events on one channel."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )

    class Meta:
        verbose_name = _("notification preference")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.group} {self.channel}: {self.timing}"


class BusinessDefault(Choice):
    """A business's Manager's choice for its users who have not chosen themselves."""

    contractor = models.ForeignKey(
        "licenses.Contractor", on_delete=models.CASCADE, related_name="notification_defaults"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("business notification default")
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "group", "channel"], name="business_default_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contractor} {self.group} {self.channel}: {self.timing}"


class AddressOptOut(models.Model):
    """An address without an account (an owner, a contact typed into an application) that
    turned a group's email off from an email's unsubscribe link."""

    email = models.CharField(max_length=254)
    group = models.CharField(max_length=20, choices=Group.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("address opt-out")
        constraints = [models.UniqueConstraint(fields=["email", "group"], name="opt_out_once")]

    def __str__(self) -> str:
        return f"{self.email}: {self.group} off"


class Notice(models.Model):
    """One event told to one person, once: the subscribers of one event together tell each
    person at most once (`recipient` is "user:<id>" or "email:<address>")."""

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=270)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    email = models.CharField(max_length=254, blank=True)
    permit = models.ForeignKey(
        "permits.Permit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    group = models.CharField(max_length=20, choices=Group.choices)
    roles = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    in_portal = models.BooleanField(default=False)
    can_turn_off = models.BooleanField(default=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notice_once_per_person")
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notice_portal",
                condition=Q(in_portal=True),
            ),
            models.Index(
                fields=["user"],
                name="notice_unread",
                condition=Q(in_portal=True, read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class MessageState(models.TextChoices):
    OPEN = "open", _("Gathering")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")
    FAILED = "failed", _("Failed")
    DROPPED = "dropped", _("Not sent")


class Message(models.Model):
    """What leaves on one channel for one person: the notices gathered under one key (a permit's
    burst, a day's digest, one event), sent once its time comes, with its delivery state."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=270)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_messages",
    )
    address = models.CharField(max_length=254)
    permit = models.ForeignKey(
        "permits.Permit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notification_messages",
    )
    key = models.CharField(max_length=60)
    group = models.CharField(max_length=20, choices=Group.choices, blank=True)
    can_turn_off = models.BooleanField(default=True)
    state = models.CharField(max_length=12, choices=MessageState.choices, default=MessageState.OPEN)
    send_after = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    subject = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)
    detail = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the email service last told of it: delivered, bounced, marked as spam
    # (notifications.tracking).
    tracked_at = models.DateTimeField("reported at", null=True, blank=True)
    notices = models.ManyToManyField(Notice, related_name="messages")

    class Meta:
        verbose_name = _("message")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One message gathering at a time per person, channel and key: two events at once
            # on one permit join the same message.
            models.UniqueConstraint(
                fields=["channel", "recipient", "key"],
                condition=Q(state="open"),
                name="message_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["send_after"], name="message_due", condition=Q(state="open")),
            models.Index(fields=["user", "-created_at"], name="message_user"),
            models.Index(fields=["permit", "-created_at"], name="message_permit"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.address}: {self.subject or self.key}"


class PhoneNumber(models.Model):
    """A user's mobile number for text messages (notifications.sms). Texts go to it only once
    its holder typed the code texted to it, and stop while it is opted out (its holder replied
    STOP; START opts it back in). The code is kept only as a keyed hash, for a few minutes and a
    few tries."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_phone"
    )
    number = models.CharField(max_length=16, help_text=_("E.164: +12175550123"))
    verified_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mobile number")
        indexes = [models.Index(fields=["number"], name="phone_number")]

    def __str__(self) -> str:
        return f"{self.user}: {self.number}"


class BouncedAddress(models.Model):
    """An email address the portal cannot reach: the email service bounced a message to it, or
    its owner marked one as spam (notifications.tracking). Nothing more is emailed to it until it
    is cleared: an email to it delivered since, its owner asking to try again, or staff."""

    email = models.CharField(max_length=254, unique=True)  # lower case
    state = models.CharField(
        max_length=12,
        choices=[
            (MessageState.BOUNCED, MessageState.BOUNCED.label),
            (MessageState.COMPLAINED, MessageState.COMPLAINED.label),
        ],
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("bounced address")
        verbose_name_plural = _("bounced addresses")

    def __str__(self) -> str:
        return f"{self.email}: {self.get_state_display()}"

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class Reminder(models.Model):
    """A reminder sent (notifications.reminders): one row per object and threshold, so that a
    job run twice, or again after a crash, reminds nobody twice. `kind` is the event it
    recorded ("permit.expiring"); `threshold` which of that object's reminders it is, with the
    date it is about ("30 days before 2025-07-01": a permit renewed since has new ones). The
    row and its event are written in one transaction. A trust account's reminder is `cleared`
    once the balance is back above its alert, so that the next crossing is told again."""

    kind = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    threshold = models.CharField(max_length=60)
    sent_on = models.DateField()
    event = models.ForeignKey(
        "core.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        ordering = ["-sent_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "threshold"],
                condition=Q(cleared_on__isnull=True),
                name="reminder_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.threshold}"
