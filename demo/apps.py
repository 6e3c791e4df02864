from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo city: its data, and `seed_demo` that loads it."""

    name = "demo"
    verbose_name = "Demo city"
