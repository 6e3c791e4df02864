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
