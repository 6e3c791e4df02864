from django.utils.translation import gettext as _

from core.status import InvalidStatusMove


class ApplicationError(Exception):
    """A refused application action. Its message is for the person who tried it."""


class ApplicationIncomplete(ApplicationError):
    """Submit refused: `missing` lists what is missing, each with the step that fixes it."""

    def __init__(self, missing: list["MissingItem"]):  # noqa: F821 (applications.selectors)
        self.missing = missing
        super().__init__(
            _("The application is not complete: %(missing)s")
            % {"missing": "; ".join(item.text for item in missing)}
        )


class InvalidApplicationStatusMove(InvalidStatusMove, ApplicationError):
    pass


class TemplateFrozen(ApplicationError):
    """A published or retired application form was to be changed."""
