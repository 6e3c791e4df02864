import datetime

from django.core.management.base import BaseCommand

from payments.reconcile import reconcile_payments


class Command(BaseCommand):
    help = (
        "Settle open payments whose news never came (asking Stripe for each open session; the "
        "offline gateway clears its processing debits) and report the ones that do not match."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=10,
            help="Minutes a payment must be open (default 10).",
        )

    def handle(self, *args, **options) -> None:
        report = reconcile_payments(older_than=datetime.timedelta(minutes=options["older_than"]))
        self.stdout.write(f"Checked {report.checked} open payment(s).")
        for outcome, lines in sorted(report.outcomes.items()):
            self.stdout.write(f"{outcome}: {len(lines)}")
            for line in lines:
                self.stdout.write(f"  {line}")
        if report.outcomes.get("mismatch") or report.outcomes.get("needs review"):
            self.stdout.write(self.style.WARNING("Some payments need staff review (see above)."))
