import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    """A Celery task the portal decided to run, written in the same transaction as the change
    that caused it (core.outbox): kept until the broker has taken it, so a task enqueued while
    Redis is down is sent once it is back. Its id is the Celery task id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "queued task"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outboxtask_pending",
            ),
            models.Index(fields=["sent_at"], name="outboxtask_sent"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "pending"
        return f"{self.task_name} ({state})"


class Event(models.Model):
    """One thing that happened (core.events): its type from the catalogue, the record it happened
    to, who did it (none: the portal or another system), when, and a small payload of ids and
    values. Written in the same transaction as the change; never changed afterwards."""

    type = models.CharField(max_length=60)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "event"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["type", "-occurred_at"], name="event_type"),
            models.Index(fields=["content_type", "object_id", "-id"], name="event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.content_type.model} {self.object_id})"


class EventLink(models.Model):
    """A record an event is about (its subject, and e.g. the permit of a fee): a record's history
    is every event linked to it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()

    class Meta:
        verbose_name = "event link"
        indexes = [
            models.Index(fields=["content_type", "object_id", "event"], name="eventlink_record")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "content_type", "object_id"],
                name="eventlink_once",
                violation_error_message="This event is already linked to this record.",
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} about {self.content_type_id}/{self.object_id}"


class EventDelivery(models.Model):
    """One subscriber hearing one event: attempts, the last error, when it was delivered. A
    delivery queued twice (the outbox's rare duplicate) is heard once."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "event delivery"
        verbose_name_plural = "event deliveries"
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="eventdelivery_pending",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"],
                name="eventdelivery_once",
                violation_error_message="This subscriber already has a delivery of this event.",
            )
        ]

    def __str__(self) -> str:
        state = "delivered" if self.delivered_at else "pending"
        return f"{self.subscriber} ({state})"
