"""The URL converter every permit-number path uses (permits, inspection requests, the cart).

A permit number is validated on its way in (core.validators.PERMIT_NUMBER), but a city's older
records may hold a `/`, which Django's `str` converter cannot carry: reversing such a number
raised NoReverseMatch and made every page listing the permit (the public search first) a 500.
Here `/` and `%` travel percent-encoded inside the one path segment, so every permit on record
has a working link, whatever its number holds.
"""

import re

from django.urls import register_converter

ENCODED = re.compile(r"%(2[Ff]|25)")


class PermitNumberConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        # Only what to_url encoded is decoded: a typed "%00" stays three harmless characters.
        return ENCODED.sub(lambda match: "/" if match.group(1) in ("2F", "2f") else "%", value)

    def to_url(self, value: str) -> str:
        return str(value).replace("%", "%25").replace("/", "%2F")


register_converter(PermitNumberConverter, "permit_number")
