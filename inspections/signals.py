"""Forget the cached holiday list whenever staff change a holiday."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Holiday
from .scheduling import forget_holidays


@receiver([post_save, post_delete], sender=Holiday, dispatch_uid="inspections.forget_holidays")
def holidays_changed(sender, **kwargs) -> None:
    forget_holidays()
