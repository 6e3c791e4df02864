"""The address `manage.py runserver` serves on, for the demo's links.

A permit card is printed by a task after the commit, with no request to take the host from, so
its verify link (and every email's links) name PORTAL_BASE_URL. The demo served on another port
(`runserver 127.0.0.1:8123`) would print a link to the default port, where nothing answers:
the local settings take the served address instead, unless PORTAL_BASE_URL is set."""

from collections.abc import Sequence

DEFAULT_ADDR, DEFAULT_PORT = "127.0.0.1", "8000"
# Every interface: the card names the one a browser on the same machine reaches.
ANY_ADDRESS = {"0", "0.0.0.0", "[::]"}  # noqa: S104 (recognised, never bound)


def runserver_base_url(argv: Sequence[str]) -> str | None:
    """`http://addr:port` for `manage.py runserver [addr:]port` (Django's defaults where the
    command leaves them out); None for any other command."""
    from django.core.management.commands.runserver import naiveip_re

    if len(argv) < 2 or argv[1] != "runserver":
        return None
    arguments = [argument for argument in argv[2:] if not argument.startswith("-")]
    if not arguments:
        return f"http://{DEFAULT_ADDR}:{DEFAULT_PORT}"
    match = naiveip_re.match(arguments[0])
    if match is None:
        return None  # runserver refuses it and serves nothing
    addr = match["addr"] or DEFAULT_ADDR
    if addr in ANY_ADDRESS:
        addr = DEFAULT_ADDR
    return f"http://{addr}:{match['port']}"
