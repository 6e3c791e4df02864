from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Online applications"

    def ready(self) -> None:
        from permits.pages import register_permit_notices
        from permits.parties import register_party_source

        from . import subscribers  # the applicant's, owner's and contacts' emails
        from .selectors import returned_permit_notices

        register_party_source(subscribers.application_parties)
        register_permit_notices(returned_permit_notices)
