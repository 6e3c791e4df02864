"""allauth MFA's signals: the security log, and an activation that counts as a second factor
passed. Connected only when allauth.mfa is installed (AccountsConfig.ready)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.dispatch import receiver

from .mfa import record_second_factor_at_activation
from .security import client_ip, security_log


@receiver(authenticator_added)
def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    security_log.info(
        "second factor added: user=%s type=%s ip=%s",
        user.get_username(),
        authenticator.type,
        client_ip(request),
    )
    if authenticator.type == Authenticator.Type.TOTP:
        record_second_factor_at_activation(request, user, authenticator)


@receiver(authenticator_removed)
def on_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    security_log.info(
        "second factor removed: user=%s type=%s ip=%s",
        user.get_username(),
        authenticator.type,
        client_ip(request),
    )


@receiver(authentication_failed)
def on_second_factor_failed(sender, request, user, authenticator, **kwargs) -> None:
    security_log.warning(
        "second factor failed: user=%s type=%s ip=%s",
        user.get_username(),
        authenticator.type,
        client_ip(request),
    )
