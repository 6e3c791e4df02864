from datetime import timedelta

from django.core.management.base import BaseCommand

from core.events import deliveries_retry


class Command(BaseCommand):
    help = (
        "Queue again every event delivery that a subscriber failed and that was given up (or ran "
        "in-process, without a broker), so that a subscriber fixed since hears what it missed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=5,
            help="Only deliveries made at least this many minutes ago (default 5).",
        )

    def handle(self, *args, older_than: int, **options) -> None:
        count = deliveries_retry(older_than=timedelta(minutes=older_than))
        self.stdout.write(f"{count} event delivery(ies) queued again.")
