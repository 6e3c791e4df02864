"""Numbers from forms and query strings, read without ever raising.

`int()` takes more than ids are made of ("²", "1_000", " 7", 5,000 digits), and an id past a
64-bit column overflows the database driver. Every id a request names goes through here.
"""

MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """A database id: ASCII digits only, from 1 to the largest 64-bit integer; else None."""
    text = str(raw if raw is not None else "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
