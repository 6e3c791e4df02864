"""CSV downloads that stream, and whose cells a spreadsheet will not run."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object whose write returns the line, for csv.writer inside a generator."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection, OWASP): one that
    starts like a formula gets a leading apostrophe. Numbers the portal formats itself (a
    negative amount) are written as they are."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
