import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class StatusChange(models.Model):
    """Append-only history of the status machine's moves for every model that does not keep
    one of its own: what moved, from what to what, who moved it, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "status change"
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="statuschange_record")
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '(new)'} -> {self.to_status}"

    @classmethod
    def record(cls, instance: models.Model, previous: str, status: str, *, by, note: str):
        return cls.objects.create(
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=instance.pk,
            from_status=previous,
            to_status=status,
            changed_by=by if getattr(by, "pk", None) else None,
            note=note[:300],
        )


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
