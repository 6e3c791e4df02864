import logging
import signal
import threading

from celery import current_app
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from core.outbox import outbox_relay

logger = logging.getLogger("portal.outbox")


class Command(BaseCommand):
    help = (
        "Publish the tasks (emails) the broker did not take when their change committed, e.g. "
        "while Redis was down (core.outbox). Runs until stopped, as its own process beside the "
        "Celery worker; --once makes one pass and exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between passes when nothing was due (default 5).",
        )
        parser.add_argument(
            "--batch", type=int, default=100, help="Most tasks published in one pass."
        )

    def handle(self, *args, **options) -> None:
        if current_app.conf.task_always_eager:
            raise CommandError(
                "No broker (CELERY_BROKER_URL is empty): tasks run in-process and nothing is "
                "queued in the outbox."
            )
        if options["once"]:
            self.report(outbox_relay(batch=options["batch"]))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Relaying the outbox every {options['interval']:g} s.")
        while not stop.is_set():
            try:
                relayed = outbox_relay(batch=options["batch"])
            except DatabaseError:
                # PostgreSQL restarting: the next pass opens a new connection.
                logger.exception("outbox relay: the database is unavailable")
                close_old_connections()
                stop.wait(options["interval"])
                continue
            close_old_connections()
            if relayed.sent or relayed.failed:
                self.report(relayed)
            # A full batch sent means more may be due: go on at once.
            if relayed.sent < options["batch"] or relayed.failed:
                stop.wait(options["interval"])
        self.stdout.write("Relay stopped.")

    def report(self, relayed) -> None:
        self.stdout.write(
            f"Sent: {relayed.sent}  Refused by the broker: {relayed.failed}  "
            f"Still pending: {relayed.pending}  Pruned: {relayed.pruned}"
        )
