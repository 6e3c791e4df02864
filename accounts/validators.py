"""Password rules after NIST SP 800-63B: long, not common, not like the user; composition rules
only when a city asks for them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class MaximumLengthValidator:
    """Refuse absurd lengths (hashing a megabyte is a denial of service), but allow at least 64."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max(max_length, 64)

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max_length)d characters; a passphrase is fine.") % {
            "max_length": self.max_length
        }


class LetterAndDigitValidator:
    """The cities' old composition rule, in AUTH_PASSWORD_VALIDATORS only when
    PASSWORD_REQUIRE_LETTER_AND_DIGIT is set."""

    def validate(self, password: str, user=None) -> None:
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(
                _("Your password must contain at least one letter and one digit."),
                code="password_letter_and_digit",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain at least one letter and one digit.")


# Contractor user names: 4 to 32 letters, digits and . _ - (allauth checks the minimum).
username_validators = [
    RegexValidator(
        r"^[A-Za-z0-9._-]+$", gettext_lazy("Use only letters, digits and . _ - in a user name.")
    ),
    MaxLengthValidator(32, gettext_lazy("A user name has at most %(limit_value)d characters.")),
]
