"""Django's admin site, opened to staff only from a session that passed a second factor.

Installed in place of `django.contrib.admin` (INSTALLED_APPS names PortalAdminConfig), so every
admin page and every view wrapped in `admin_site.admin_view` asks `has_permission` below. Loaded
while the app registry is still filling: nothing here imports a model at module level.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse


class PortalAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from accounts.mfa import may_open_staff_pages

        return super().has_permission(request) and may_open_staff_pages(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """With staff MFA on, the admin's own password form would be a way around the second
        factor: every sign-in goes through the portal's (allauth's login, its lock-out and
        its MFA stage) instead."""
        from accounts.mfa import staff_sign_in_redirect

        response = staff_sign_in_redirect(request)
        if response is not None:
            return response
        return super().login(request, extra_context)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
