from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = gettext_lazy("Online applications")

    def ready(self) -> None:
        from permits.pages import register_permit_notices
        from permits.parties import register_party_source

        from .parties import application_parties, application_parties_many
        from .selectors import returned_permit_notices

        register_party_source(application_parties, many=application_parties_many)
        register_permit_notices(returned_permit_notices)
