"""allauth's second-factor forms with the portal's limit on wrong codes per account (MFA_FORMS
names them). allauth's own limit counts per address (ACCOUNT_RATE_LIMITS' login_failed): a
stolen password tried from many addresses would get that many guesses at the code from each."""

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ratelimit import wait_in_words

from .security import security_log
from .services import second_factor_attempt


def locked_message(until) -> str:
    wait = wait_in_words((until - timezone.now()).total_seconds())
    return _(
        "Too many wrong codes for this account. For its security, no code is accepted for "
        "%(wait)s: try again after that. We have emailed the account's owner."
    ) % {"wait": wait}


class WrongCodesLimited:
    """clean_code under the account's limit (accounts.services.second_factor_attempt)."""

    def clean_code(self) -> str:
        checked: dict = {}

        def code_is_right() -> bool:
            try:
                checked["code"] = super(WrongCodesLimited, self).clean_code()
            except forms.ValidationError as error:
                checked["error"] = error
                # Only a wrong code counts, not allauth's own refusal (its per-address limit).
                return error.code != "incorrect_code"
            return True

        outcome = second_factor_attempt(user=self.user, code_is_right=code_is_right)
        if outcome.locked_until is not None:
            security_log.warning(
                "second factor locked: user=%s until=%s",
                self.user.get_username(),
                outcome.locked_until.isoformat(),
            )
            raise forms.ValidationError(locked_message(outcome.locked_until), code="locked")
        if "error" in checked:
            raise checked["error"]
        return checked["code"]


class PortalAuthenticateForm(WrongCodesLimited, AuthenticateForm):
    pass


class PortalReauthenticateForm(WrongCodesLimited, ReauthenticateForm):
    pass
