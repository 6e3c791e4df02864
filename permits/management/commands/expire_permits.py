import datetime

from django.core.management.base import BaseCommand, CommandError

from permits.services import permits_expire


class Command(BaseCommand):
    help = "Issued permits past their expiry date become Expired (Celery beat runs this daily)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="Treat this day (YYYY-MM-DD) as today; for catching up after downtime."
        )

    def handle(self, *args, **options) -> None:
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD, e.g. 2025-01-31.") from None
        changed = permits_expire(today=today)
        for permit in changed:
            self.stdout.write(
                f"{permit.number}: Issued -> Expired (expired {permit.expires_on:%Y-%m-%d})"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(changed)} permit(s) expired."))
