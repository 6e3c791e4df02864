from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from licenses.selectors import register_approval_fact

        from . import (
            receivers,  # noqa: F401 (forgets the cached permit types)
            subscribers,  # noqa: F401 (the contact invitation email)
        )
        from .scopes import provide_facts_to_policy, register_contact_flag
        from .selectors import license_permits_fact

        register_contact_flag()
        provide_facts_to_policy()
        register_approval_fact(license_permits_fact)
