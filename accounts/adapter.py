from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from core.mail import deliver_email, enqueue_after_commit


class PortalAccountAdapter(DefaultAccountAdapter):
    """allauth, the portal's way: its mail goes through Celery like every other email."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.account.adapter import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        payload = {
            "subject": message.subject,
            "text": message.body,
            "html": next(
                (
                    content
                    for content, mime in getattr(message, "alternatives", [])
                    if mime == "text/html"
                ),
                "",
            ),
            "to": list(message.to),
            "from_email": message.from_email,
        }
        # Rendered now (the request is here); delivered by a task once the transaction commits.
        enqueue_after_commit(deliver_email, payload)

    def get_signup_redirect_url(self, request) -> str:
        return reverse("accounts:manage")
