from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CoreConfig(AppConfig):
    """The bottom layer: helpers every app may use, and the status machine's history. Imports no
    app of the project."""

    name = "core"
    verbose_name = gettext_lazy("Core")
