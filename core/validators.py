"""Validators for the contact details every app takes (phone numbers, states, ZIP codes), and
for the record numbers that travel in URLs."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy

# A two-letter state code, in either case: the forms' check and the imports' (parse_state).
STATE_RE = re.compile(r"^[A-Za-z]{2}\Z")
STATE = RegexValidator(STATE_RE, gettext_lazy("Use the two-letter state code, e.g. IL."))
ZIP = RegexValidator(
    r"^\d{5}(-\d{4})?$", gettext_lazy("Enter a 5-digit ZIP code, or ZIP+4 (62701-1234).")
)
PHONE = RegexValidator(
    r"^[0-9()+\-. xX]{7,30}$",
    gettext_lazy("Enter a phone number, e.g. (217) 555-0100 or 217-555-0100 x12."),
)

# A permit number is one segment of every permit URL: letters, digits, hyphen, dot and
# underscore, starting with a letter or digit. Never a `/` (it splits the path) nor anything a
# URL must escape.
PERMIT_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_.]{0,29}\Z")
PERMIT_NUMBER = RegexValidator(
    PERMIT_NUMBER_RE,
    gettext_lazy(
        "A permit number has letters, digits, hyphens, dots and underscores only "
        "(e.g. RES24-0150), starting with a letter or digit."
    ),
)
