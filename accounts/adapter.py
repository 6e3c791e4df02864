from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_str

from core.mail import deliver_email, enqueue_after_commit, subject_prefix
from policy.staff import LAND_ADMIN, LAND_INTAKE, LAND_REVIEWS, LAND_STOPS, staff_landing

from .language import language_for_address

# Each kind of staff member's work page after signing in (policy.staff.staff_landing).
STAFF_LANDINGS = {
    LAND_ADMIN: "admin:index",
    LAND_INTAKE: "admin:applications_intakequeue_changelist",
    LAND_REVIEWS: "admin:reviews_myreview_changelist",
    LAND_STOPS: "inspections:my_stops",
}


@dataclass(frozen=True)
class PortalSite:
    """What allauth's emails call the site: the city's portal at its public address, never the
    host a request happened to come in on ("Hello from 127.0.0.1:8101!")."""

    name: str
    domain: str


def words(body: str) -> str:
    """An email's text without the header and footer lines the HTML layout has already."""
    lines = body.strip().splitlines()
    if lines and lines[0] == f"{settings.CITY_NAME} Permit Portal":
        lines = lines[1:]
    for index, line in enumerate(lines):
        if line.startswith(f"{settings.CITY_NAME} Building Department"):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


def portal_site() -> PortalSite:
    return PortalSite(
        name=f"{settings.CITY_NAME} Permit Portal",
        domain=urlsplit(settings.PORTAL_BASE_URL).netloc or settings.PORTAL_BASE_URL,
    )


class PortalAccountAdapter(DefaultAccountAdapter):
    """allauth, the portal's way: its mail goes through Celery like every other email."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.account.adapter import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        get_current_site(request)  # (allauth's own code may still ask for it)
        ctx = {
            "request": request,
            "email": email,
            "CITY_NAME": settings.CITY_NAME,
            "CITY_OFFICE_PHONE": settings.CITY_OFFICE_PHONE,
            "PORTAL_URL": settings.PORTAL_BASE_URL,
        }
        ctx.update(context)
        ctx["current_site"] = portal_site()
        # In the language of the account at this address, else the page's (the person asking
        # for a reset link or signing up is, most likely, the one who reads it).
        with translation.override(language_for_address(email) or translation.get_language()):
            message = self.render_mail(template_prefix, email, ctx)
            html = next(
                (
                    content
                    for content, mime in getattr(message, "alternatives", [])
                    if mime == "text/html"
                ),
                "",
            )
            if not html:
                # The portal's own emails' layout (its header and footer), around allauth's words.
                html = render_to_string(
                    "email/account_body.html", {**ctx, "text": words(message.body)}
                )
        payload = {
            "subject": message.subject,
            "text": message.body,
            "html": html,
            "to": list(message.to),
            "from_email": message.from_email,
        }
        # Rendered now (the request is here); delivered by a task once the transaction commits.
        enqueue_after_commit(deliver_email, payload)

    def format_email_subject(self, subject: str) -> str:
        return subject_prefix() + force_str(subject)

    def pre_login(self, request, user, **kwargs):
        """Staff with no authenticator app are not signed in by their password: their first
        app is set up through the link an administrator emails them (accounts.mfa)."""
        from .mfa import authenticator_link_needed, needs_set_up_link
        from .security import client_ip, security_log

        if user.is_active and needs_set_up_link(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            security_log.warning(
                "staff sign-in refused, no authenticator app: user=%s ip=%s",
                user.get_username(),
                client_ip(request),
            )
            return authenticator_link_needed(request)
        return super().pre_login(request, user, **kwargs)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # The set-up link stands in for the password before a staff member's first app: they
        # may never have had one of their own.
        from allauth.core import context

        from .mfa import came_through_set_up_link, needs_set_up_link

        request = context.request
        if (
            app == "allauth.mfa"
            and request is not None
            and came_through_set_up_link(request)
            and needs_set_up_link(request.user)
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_signup_redirect_url(self, request) -> str:
        return reverse("accounts:manage")

    def get_login_redirect_url(self, request) -> str:
        """Staff land on their work (a `next` the sign-in page carried still wins: allauth
        asks this only without one); contractors on their dashboard."""
        landing = staff_landing(request.user)
        if landing:
            return reverse(STAFF_LANDINGS[landing])
        return super().get_login_redirect_url(request)
