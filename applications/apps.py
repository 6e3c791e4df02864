from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Online applications"

    def ready(self) -> None:
        from permits.cards import register_card_section
        from permits.issuing import register_final_inspection_check, register_issue_check
        from permits.pages import register_permit_page_links
        from permits.parties import register_party_source

        from . import subscribers
        from .review_selectors import conditions_card_section, permit_page_links
        from .review_services import final_inspection_missing, issuance_missing

        register_permit_page_links(permit_page_links)
        register_card_section(conditions_card_section)
        register_issue_check(issuance_missing)
        register_final_inspection_check(final_inspection_missing)
        register_party_source(subscribers.application_parties)
