"""The permits app's own listeners: forget the cached list of permit types when one changes
(permits.selectors.permit_type_choices). Connected in PermitsConfig.ready."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import PermitType
from .selectors import forget_permit_types


@receiver([post_save, post_delete], sender=PermitType, dispatch_uid="permits.permit_types")
def permit_types_changed(sender, **kwargs) -> None:
    forget_permit_types()
