"""Email a staff member their one-time authenticator set-up link from the server: for the
first superuser, whom no administrator could send one to yet (admin's Users action does it for
everyone else)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.exceptions import EnrolmentLinkError
from accounts.models import User
from accounts.services import authenticator_link_send


class Command(BaseCommand):
    help = "Email a staff member the one-time link that sets up their first authenticator app."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            with transaction.atomic():
                authenticator_link_send(user=user, by=None)
        except EnrolmentLinkError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Set-up link emailed to {user.username} at {user.email}.")
