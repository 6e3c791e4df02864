"""Validators for the contact details every app takes (phone numbers, states, ZIP codes)."""

from django.core.validators import RegexValidator

STATE = RegexValidator(r"^[A-Za-z]{2}$", "Use the two-letter state code, e.g. IL.")
ZIP = RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a 5-digit ZIP code, or ZIP+4 (62701-1234).")
PHONE = RegexValidator(
    r"^[0-9()+\-. xX]{7,30}$", "Enter a phone number, e.g. (217) 555-0100 or 217-555-0100 x12."
)
