"""What every CSV import shares: opening a city's file safely, reading its dates and money, and
the report of created, updated and rejected rows.

An import never stops at a bad row: the row is rejected with its line number and reason, and the
good ones go on. A file that is not CSV, or lacks its key column, is one clear error and changes
nothing.
"""

import codecs
import csv
import datetime
import re
import sys
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from .money import CENT
from .validators import STATE_RE


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was changed."""


class RowError(ValueError):
    """One row cannot be imported; the message says why, for the report."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Things done on the file's behalf that ops should know: "status 'Plan Check' read as In
    # Review" -> how many rows.
    notes: Counter = field(default_factory=Counter)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append((line, reason))

    def note(self, text: str) -> None:
        self.notes[text] += 1

    def lines(self) -> list[str]:
        out = [
            f"Created: {self.created}",
            f"Updated: {self.updated}",
            f"Unchanged: {self.unchanged}",
            f"Rejected: {len(self.rejected)}",
        ]
        for line, reason in self.rejected:
            out.append(f"  line {line}: {reason}")
        if self.notes:
            out.append("Notes:")
            for text, count in sorted(self.notes.items()):
                out.append(f"  {text} ({count} row{'s' if count != 1 else ''})")
        return out


MAX_FIELD_SIZE = 1_000_000


def open_csv(
    path: str | Path, *, required: tuple[str, ...], known: tuple[str, ...]
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV export and check its header before anything is written.

    Column names are matched without regard to case, spaces or underscores, and renamed to the
    spelling in `known`. Returns the columns present and an iterator of (line number, row); a
    row that cannot be taken as it stands (unreadable, more or fewer fields than the header, a
    quote that is never closed) carries its reason under "__error__". Raises ImportFileError
    for a file that is missing, not text, not CSV, or lacks a column in `required`.
    """
    path = Path(path)
    encoding = detect_encoding(path)
    csv.field_size_limit(MAX_FIELD_SIZE)
    # Streamed, not read whole: a city's export can be larger than memory should hold.
    handle = open(path, encoding=encoding, errors="replace", newline="")  # noqa: SIM115
    source = LineSource(handle)
    reader = csv.reader(source)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as error:
        handle.close()
        raise ImportFileError(f"{path} is not a CSV file: {error or 'it has no lines'}.") from None
    canonical = {squash(name): name for name in known}
    columns = [canonical.get(squash(name), name.strip()) for name in header]
    missing = [name for name in required if name not in columns]
    if missing:
        handle.close()
        raise ImportFileError(
            f"{path} is not a file this command reads: it has no {', '.join(missing)} column "
            f"(its first line is: {', '.join(header)[:200]})."
        )

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with handle:
            yield from read_rows(reader, source, columns)

    return columns, rows()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else the Windows code page that spreadsheet
    exports use. Binary files are refused: a NUL byte is never in a city's CSV."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    utf8 = True
    seen = False
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                if b"\x00" in chunk:
                    raise ImportFileError(f"{path} is not a CSV file (it holds binary data).")
                seen = seen or bool(chunk.strip())
                if utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
    except OSError as error:
        raise ImportFileError(f"Cannot read {path}: {error.strerror or error}.") from None
    if not seen:
        raise ImportFileError(f"{path} is empty.")
    return "utf-8-sig" if utf8 else "cp1252"


class LineSource:
    """The file's lines, handed to csv.reader one at a time. The lines the current record took
    are kept, so that a record found to be a runaway quote can give back all but its first
    line, to be read again as the rows they are."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.pending: deque[str] = deque()
        self.taken: list[str] = []
        self.line = 0  # lines handed out so far: the file's line number of the last one

    def __iter__(self) -> "LineSource":
        return self

    def __next__(self) -> str:
        text = self.pending.popleft() if self.pending else next(self.handle)
        self.taken.append(text)
        self.line += 1
        return text

    def start_record(self) -> int:
        """Forget the last record's lines; the line number the next record starts on."""
        self.taken = []
        return self.line + 1

    def give_back_all_but_first(self) -> int:
        """The current record is abandoned after its first line: its other lines are read
        again. Returns how many lines were given back."""
        rest = self.taken[1:]
        self.pending.extendleft(reversed(rest))
        self.line -= len(rest)
        self.taken = self.taken[:1]
        return len(rest)


def read_rows(
    reader, source: LineSource, columns: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    while True:
        start = source.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = f"unreadable CSV: {error}"
            if len(source.taken) > 1:
                reason += runaway_quote(source)
            yield start, {"__error__": reason}
            continue
        if not any(value.strip() for value in values):
            continue
        if len(source.taken) > 1 and swallowed_rows(values, columns):
            # An opening quote that is never closed takes every line after it into one value
            # (the csv module reads on to the end of the file without a word): only the line
            # it opened on is lost, and the rows after it are read as rows.
            reason = "a quote opened on this line is not closed" + runaway_quote(source)
            yield start, {"__error__": reason}
            continue
        row = {
            column: (values[i].strip() if i < len(values) else "")
            for i, column in enumerate(columns)
        }
        if len(values) > len(columns):
            row["__error__"] = (
                f"has {len(values)} fields but the header has {len(columns)} "
                "(a comma inside an unquoted value?)"
            )
        elif len(values) < len(columns):
            # Never read the missing fields as empty: on a re-import that would blank what the
            # file does not say (an address, a valuation).
            row["__error__"] = (
                f"has {len(values)} fields but the header has {len(columns)} (a cut-off line?): "
                "nothing in it was applied"
            )
        yield start, row


def swallowed_rows(values: list[str], columns: list[str]) -> bool:
    """A record that spans lines and either has the wrong number of fields or holds, inside one
    value, a line with a whole row's commas: the rows after an unclosed quote."""
    if len(values) != len(columns):
        return True
    commas = max(len(columns) - 1, 3)
    return any(
        line.count(",") >= commas
        for value in values
        if "\n" in value
        for line in value.splitlines()
    )


def runaway_quote(source: LineSource) -> str:
    last = source.line
    given_back = source.give_back_all_but_first()
    return (
        f" (it ran on over the next {given_back} line{'s' if given_back != 1 else ''}, to line "
        f"{last}): this line was not loaded; the lines after it were read as rows"
    )


def count_rows(path: str | Path) -> int:
    """Lines after the header, for the progress bar (a fast upper bound)."""
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def squash(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
US_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%Y/%m/%d", "%Y%m%d")


def parse_date(value: str, column: str) -> datetime.date | None:
    """A date as cities write them: ISO 8601 (a date, or a date and time with or without a zone)
    or the common US forms (03/31/2024, 3/31/24, 03-31-2024). Empty is None."""
    value = value.strip()
    if not value:
        return None
    try:
        if ISO_DATETIME.match(value):
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if timezone.is_aware(moment):
                return timezone.localtime(moment).date()
            return moment.date()
        return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    # "03/31/2024 10:15 AM": the time is not ours to keep.
    date_part = value.split(" ")[0].split("T")[0]
    for fmt in US_FORMATS:
        try:
            parsed = datetime.datetime.strptime(date_part, fmt).date()
        except ValueError:
            continue
        if parsed.year < 1900:
            break
        return parsed
    raise RowError(f"{column} “{value[:40]}” is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


MONEY_LIMIT = Decimal("9999999999.99")


def parse_money(value: str, column: str) -> Decimal | None:
    """An amount such as 1234.5, $1,234.50 or (12.00) for a negative. Empty is None."""
    text = value.strip().replace("$", "").replace(",", "").replace(" ", "")
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError(f"{column} “{value[:40]}” is not an amount of money") from None
    if not amount.is_finite():
        raise RowError(f"{column} “{value[:40]}” is not an amount of money")
    if negative or amount < 0:
        raise RowError(f"{column} {value[:40]} is negative")
    if amount > MONEY_LIMIT:
        raise RowError(f"{column} {value[:40]} is too large")
    return amount.quantize(CENT)


def parse_state(value: str, column: str) -> str:
    """A two-letter state code, upper case ("il" is IL); empty stays empty."""
    state = value.strip().upper()
    if state and not STATE_RE.match(state):
        raise RowError(f"{column} “{state[:20]}” is not a two-letter state code")
    return state


def limited(value: str, column: str, max_length: int) -> str:
    if len(value) > max_length:
        raise RowError(f"{column} is longer than {max_length} characters")
    return value


class ImportCommand(BaseCommand):
    """The shape both import commands share: a file, a progress bar, a report, and a non-zero
    exit when the file cannot be read at all."""

    what = "rows"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path to the CSV file.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def run_import(self, path: str, **kwargs) -> ImportReport:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, *args, **options) -> None:
        path = options["file"]
        total = count_rows(path) if Path(path).is_file() else 0
        # The bar goes to stderr and only to a terminal: cron logs and tests stay clean.
        with tqdm(
            total=total,
            unit=" rows",
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        ) as bar:
            try:
                report = self.run_import(path, progress=bar.update)
            except ImportFileError as error:
                raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)
        style = self.style.WARNING if report.rejected else self.style.SUCCESS
        self.stdout.write(
            style(
                f"Done: {report.created} created, {report.updated} updated, "
                f"{len(report.rejected)} rejected."
            )
        )


def audit_bulk_writes(
    writes: list[tuple[Any, dict[str, tuple[Any, Any]]]], *, created: bool, note: str
) -> int:
    """Record an import's bulk writes in the audit trail (django-auditlog), which sees only
    writes made one by one: for each (instance, {field: (before, after)}) an entry with those
    changes, made by nobody (the import: `note` says which). Returns how many were recorded."""
    from auditlog.models import LogEntry
    from auditlog.registry import auditlog
    from django.contrib.contenttypes.models import ContentType

    entries = []
    for instance, changes in writes:
        if not changes or not auditlog.contains(type(instance)):
            continue
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(instance),
                object_pk=str(instance.pk),
                object_id=instance.pk,
                object_repr=str(instance)[:200],
                action=LogEntry.Action.CREATE if created else LogEntry.Action.UPDATE,
                changes={
                    name: [None if old is None else str(old), None if new is None else str(new)]
                    for name, (old, new) in changes.items()
                },
                additional_data={"import": note},
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)
