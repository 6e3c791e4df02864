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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from .money import CENT


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
    row the CSV reader cannot read carries its reason under "__error__". Raises ImportFileError
    for a file that is missing, not text, not CSV, or lacks a column in `required`.
    """
    path = Path(path)
    encoding = detect_encoding(path)
    csv.field_size_limit(MAX_FIELD_SIZE)
    # Streamed, not read whole: a city's export can be larger than memory should hold.
    handle = open(path, encoding=encoding, errors="replace", newline="")  # noqa: SIM115
    reader = csv.reader(handle)
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
            yield from read_rows(reader, columns)

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


def read_rows(reader, columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, {"__error__": f"unreadable CSV: {error}"}
            continue
        if not any(value.strip() for value in values):
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
        yield reader.line_num, row


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
