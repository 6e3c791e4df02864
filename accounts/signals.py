"""Every sign-in, failure, lock-out and password change goes to the "portal.security" log; a
session's idle time starts at sign-in."""

from allauth.account.signals import password_changed, password_reset, password_set
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .middleware import record_activity
from .security import axes_username, client_ip, security_log


def printable(name) -> str:
    """A name as typed at sign-in, safe for one log line: a newline cannot forge another."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(name))[:150]


@receiver(user_logged_in)
def log_sign_in(sender, request, user, **kwargs) -> None:
    security_log.info("sign-in: user=%s ip=%s", user.get_username(), client_ip(request))
    if request is not None and hasattr(request, "session"):
        record_activity(request)


@receiver(user_logged_out)
def log_sign_out(sender, request, user, **kwargs) -> None:
    name = user.get_username() if user is not None else "-"
    security_log.info("sign-out: user=%s ip=%s", name, client_ip(request))


@receiver(user_login_failed)
def log_sign_in_failure(sender, credentials, request=None, **kwargs) -> None:
    # Credentials arrive with the password already masked by Django; log only the name.
    security_log.warning(
        "sign-in failed: user=%s ip=%s",
        printable(axes_username(request, credentials)),
        client_ip(request),
    )


@receiver(user_locked_out)
def log_lock_out(sender, request, username, ip_address, **kwargs) -> None:
    security_log.warning("lock-out: user=%s ip=%s", printable(username), ip_address)


@receiver(password_changed)
def log_password_change(sender, request, user, **kwargs) -> None:
    security_log.info("password changed: user=%s ip=%s", user.get_username(), client_ip(request))


@receiver(password_set)
def log_password_set(sender, request, user, **kwargs) -> None:
    security_log.info("password set: user=%s ip=%s", user.get_username(), client_ip(request))


@receiver(password_reset)
def log_password_reset(sender, request, user, **kwargs) -> None:
    security_log.info("password reset: user=%s ip=%s", user.get_username(), client_ip(request))
