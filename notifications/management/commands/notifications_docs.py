"""Write the table of who hears what (notifications.catalogue.RULES) into docs/notifications.md;
`--check` exits 1 when the file's table is not the table's today."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notifications.preferences import docs_with_table

DOCS = Path(settings.BASE_DIR) / "docs" / "notifications.md"


class Command(BaseCommand):
    help = "Write the who-hears-what table into docs/notifications.md (or --check it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check: bool = False, **options) -> None:
        text = DOCS.read_text()
        fresh = docs_with_table(text)
        if check:
            if fresh != text:
                raise CommandError(f"{DOCS} is stale: run manage.py notifications_docs")
            return
        DOCS.write_text(fresh)
        self.stdout.write(f"wrote {DOCS}")
