from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_PASSWORDS, seed_demo_city


class Command(BaseCommand):
    help = (
        "Seed the demo city of demo/city.json (contractors, licenses, 300 permits, fees, "
        "inspections, demo logins). Safe to run twice. Refuses to run with production settings."
    )

    def handle(self, *args, **options) -> None:
        if settings.PORTAL_ENVIRONMENT == "production":
            raise CommandError(
                "seed_demo refuses to run with production settings: it creates demo logins with "
                "published passwords."
            )
        report = seed_demo_city()
        if report.created:
            for what, count in sorted(report.created.items()):
                self.stdout.write(f"Created {count} {what}.")
        else:
            self.stdout.write("The demo city was already seeded; nothing changed.")
        logins = ", ".join(f"{name} / {password}" for name, password in DEMO_PASSWORDS.items())
        self.stdout.write(self.style.SUCCESS(f"Demo city ready. Logins: {logins}"))
