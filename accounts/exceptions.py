"""What an account's own services refuse, with a message for a person."""


class EnrolmentLinkError(Exception):
    """An authenticator set-up link that cannot be sent, or opened (bad, expired, used)."""


class LanguageNotOffered(Exception):
    """A language the portal does not offer (settings.LANGUAGES)."""
