from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Online applications"

    def ready(self) -> None:
        from permits.parties import register_party_source

        from . import subscribers  # the applicant's, owner's and contacts' emails

        register_party_source(subscribers.application_parties)
