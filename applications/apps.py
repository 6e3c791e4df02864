from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Online applications"

    def ready(self) -> None:
        from permits.pages import register_permit_page_links

        from .review_selectors import permit_page_links

        register_permit_page_links(permit_page_links)
