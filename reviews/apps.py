from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ReviewsConfig(AppConfig):
    """Plan review, above the applications app: it opens the first review cycle when an
    application is accepted (its event, heard within the transaction); the applications app
    knows nothing of it."""

    name = "reviews"
    verbose_name = gettext_lazy("Plan review")

    def ready(self) -> None:
        from permits.cards import register_card_section
        from permits.checks import (
            register_final_inspection_check,
            register_issuance_needs,
            register_issue_check,
        )
        from permits.pages import register_permit_page_links, register_permit_page_section

        from . import subscribers  # noqa: F401 (the first cycle)
        from .checks import final_inspection_missing, issuance_missing
        from .selectors import (
            conditions_card_section,
            conditions_page_section,
            issuance_needs_for,
            permit_page_links,
        )

        register_permit_page_links(permit_page_links)
        register_permit_page_section(conditions_page_section)
        register_card_section(conditions_card_section)
        register_issue_check(issuance_missing)
        register_final_inspection_check(final_inspection_missing)
        register_issuance_needs(issuance_needs_for)
