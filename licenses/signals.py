"""Forget a license's cached label (licenses.selectors.license_labels) when the license or its
business changes: a list of permits names the professional as they are now."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Contractor, License
from .selectors import forget_license_labels


@receiver([post_save, post_delete], sender=License, dispatch_uid="licenses.label_of_license")
def license_changed(sender, instance: License, **kwargs) -> None:
    forget_license_labels([instance.pk])


@receiver([post_save, post_delete], sender=Contractor, dispatch_uid="licenses.label_of_business")
def business_changed(sender, instance: Contractor, **kwargs) -> None:
    forget_license_labels(License.objects.filter(holder=instance).values_list("pk", flat=True))
