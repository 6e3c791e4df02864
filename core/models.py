import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class OutboxTask(models.Model):
    """A Celery task the portal decided to run, written in the same transaction as the change
    that caused it (core.outbox): kept until the broker has taken it, so a task enqueued while
    Redis is down is sent once it is back. Its id is the Celery task id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(gettext_lazy("task name"), max_length=200)
    args = models.JSONField(gettext_lazy("args"), default=list)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    sent_at = models.DateTimeField(gettext_lazy("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(gettext_lazy("attempts"), default=0)
    next_attempt_at = models.DateTimeField(gettext_lazy("next attempt at"), default=timezone.now)
    last_error = models.CharField(gettext_lazy("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = gettext_lazy("queued task")
        verbose_name_plural = gettext_lazy("queued tasks")
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
        if self.sent_at:
            return _("%(task)s (sent)") % {"task": self.task_name}
        return _("%(task)s (pending)") % {"task": self.task_name}


class Event(models.Model):
    """One thing that happened (core.events): its type from the catalogue, the record it happened
    to, who did it (none: the portal or another system), when, and a small payload of ids and
    values. Written in the same transaction as the change; never changed afterwards."""

    type = models.CharField(gettext_lazy("type"), max_length=60)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("content type"),
    )
    object_id = models.BigIntegerField(gettext_lazy("object id"))
    subject = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("actor"),
    )
    occurred_at = models.DateTimeField(gettext_lazy("occurred at"), default=timezone.now)
    payload = models.JSONField(gettext_lazy("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = gettext_lazy("event")
        verbose_name_plural = gettext_lazy("events")
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

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="links", verbose_name=gettext_lazy("event")
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("content type"),
    )
    object_id = models.BigIntegerField(gettext_lazy("object id"))

    class Meta:
        verbose_name = gettext_lazy("event link")
        verbose_name_plural = gettext_lazy("event links")
        indexes = [
            models.Index(fields=["content_type", "object_id", "event"], name="eventlink_record")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "content_type", "object_id"],
                name="eventlink_once",
                violation_error_message=gettext_lazy(
                    "This event is already linked to this record."
                ),
            )
        ]

    def __str__(self) -> str:
        return _("event %(event)s about %(record)s") % {
            "event": self.event_id,
            "record": f"{self.content_type_id}/{self.object_id}",
        }


class EventDelivery(models.Model):
    """One subscriber hearing one event: attempts, the last error, when it was delivered. A
    delivery queued twice (the outbox's rare duplicate) is heard once."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=gettext_lazy("event"),
    )
    subscriber = models.CharField(gettext_lazy("subscriber"), max_length=200)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)
    attempts = models.PositiveIntegerField(gettext_lazy("attempts"), default=0)
    delivered_at = models.DateTimeField(gettext_lazy("delivered at"), null=True, blank=True)
    last_error = models.CharField(gettext_lazy("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = gettext_lazy("event delivery")
        verbose_name_plural = gettext_lazy("event deliveries")
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
                violation_error_message=gettext_lazy(
                    "This subscriber already has a delivery of this event."
                ),
            )
        ]

    def __str__(self) -> str:
        if self.delivered_at:
            return _("%(subscriber)s (delivered)") % {"subscriber": self.subscriber}
        return _("%(subscriber)s (pending)") % {"subscriber": self.subscriber}
