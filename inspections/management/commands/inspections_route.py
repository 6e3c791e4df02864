import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inspections.models import Inspector
from inspections.services import inspections_route


class Command(BaseCommand):
    help = "Print one inspector's stops for a day in order, with the private notes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--inspector", required=True, help="The inspector's user name.")
        parser.add_argument("--date", help="YYYY-MM-DD (default: today).")

    def handle(self, *args, **options) -> None:
        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD, e.g. 2025-06-02.") from None
        user = get_user_model().objects.filter(username=options["inspector"]).first()
        inspector = Inspector.objects.filter(user=user).first() if user else None
        if inspector is None:
            raise CommandError(f"No inspector has the user name {options['inspector']!r}.")
        stops = inspections_route(inspector=inspector, day=day)
        self.stdout.write(f"{inspector} · {day:%A %m/%d/%Y} · {len(stops)} stop(s)")
        for number, stop in enumerate(stops, start=1):
            when = f" [{stop.get_time_preference_display()}]" if stop.time_preference else ""
            self.stdout.write(f"{number}. {stop.permit.full_address}{when}")
            self.stdout.write(f"   {stop.permit.number} · {stop.inspection_type} · {stop.number}")
            self.stdout.write(
                f"   Contact: {stop.contact_name or '-'}, {stop.contact_phone or '-'}"
            )
            if stop.request_notes:
                self.stdout.write(f"   Notes: {stop.request_notes}")
