"""The status machine: the one way a stateful model's status changes.

A model with a status mixes in `StatusMachine` and declares `ALLOWED_MOVES` (each status and the
statuses it may move to). Where a move has rules or effects of its own, the model overrides:

- `check_move(previous, status, context)`: raise `InvalidStatusMove` (with a sentence a person
  can act on) to refuse a move the table allows but the record's state does not, e.g. issuing a
  permit with fees due, or a fee becoming Paid with no payment;
- `apply_move(previous, status, context)`: set the fields that go with the move (dates, who)
  and return their names, e.g. a permit's issue and expiry dates;
- `event_about()`: the records a move's event is also about (a fee's permit), so that it is in
  their history too; `move_payload(previous, status, context)`: ids the event carries besides.

Each move is recorded as one event (core.events): `STATUS_EVENTS` names the event of a move to a
status where it has a name of its own ("permit.issued"); any other move is
"<EVENT_SUBJECT>.status_changed". Its payload holds `from`, `to` and `note`.

`move_to(status, *, by, note, **context)` locks the row, reads the status from the database (never
the one a form was opened with), checks the move against the table and `check_move`, saves the
status with the fields `apply_move` set, records the event (who, when, why), and sends
`status_moved` so that apps above the model's own act in the same transaction (the arrow of
imports never points up); subscribers of the event hear it after the commit.

Saving a model any other way never writes its status: `save()` leaves the status column out of
an update, and refuses one whose status was changed in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

# Sent after a move is saved and recorded (inside the move's transaction): sender is the model
# class; kwargs `instance`, `previous`, `status`, `by`, `note`, `context`.
status_moved = Signal()


class InvalidStatusMove(Exception):
    """A move the record's status table or rules refuse. Its message is for a person."""


class StatusChangedOutsideMachine(RuntimeError):
    """A programming error: a status assigned and saved without `move_to`."""


class StatusMachine(models.Model):
    """Abstract base of every model whose status moves through the machine."""

    ALLOWED_MOVES: ClassVar[Mapping[str, Iterable[str]]] = {}
    STATUS_FIELD: ClassVar[str] = "status"
    # How its events are named ("permit": "permit.status_changed"), and the moves whose event
    # has a name of its own ({PermitStatus.ISSUED: "permit.issued"}).
    EVENT_SUBJECT: ClassVar[str] = ""
    STATUS_EVENTS: ClassVar[Mapping[str, str]] = {}
    # The exception a refused move raises (an app's own subclass of InvalidStatusMove).
    move_error: ClassVar[type[InvalidStatusMove]] = InvalidStatusMove
    # True only while move_to saves: the one save that writes the status.
    _moving = False

    class Meta:
        abstract = True

    # -- saving -------------------------------------------------------------------------------
    def save(self, **kwargs):
        # (Keyword arguments only: Django 5.2 no longer takes save()'s options by position.)
        if self._state.adding or self._moving:
            super().save(**kwargs)
            self._loaded_status = self._status_value()
            return
        loaded = getattr(self, "_loaded_status", None)
        if loaded is not None and self._status_value() != loaded:
            raise StatusChangedOutsideMachine(
                f"{type(self).__name__}.{self.STATUS_FIELD} changes only through move_to()."
            )
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            # Never write back the status the instance was read with: a move saved meanwhile
            # (another clerk, a nightly job) stands.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and not field.generated and field.name != self.STATUS_FIELD
            ]
        elif self.STATUS_FIELD in update_fields:
            raise StatusChangedOutsideMachine(
                f"{type(self).__name__}.{self.STATUS_FIELD} changes only through move_to()."
            )
        super().save(**kwargs)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Read again, the status included: it is then the status the record was read with
        (e.g. under a row lock, `from_queryset=Model.objects.select_for_update()`)."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or self.STATUS_FIELD in fields:
            self._loaded_status = self._status_value()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if cls.STATUS_FIELD in field_names:
            instance._loaded_status = instance._status_value()
        return instance

    def _status_value(self) -> str:
        return getattr(self, self.STATUS_FIELD)

    # -- the table ----------------------------------------------------------------------------
    @classmethod
    def allowed_moves_from(cls, status: str) -> frozenset[str]:
        return frozenset(cls.ALLOWED_MOVES.get(status, ()))

    @classmethod
    def is_allowed_move(cls, previous: str, status: str) -> bool:
        return status in cls.allowed_moves_from(previous)

    @classmethod
    def is_reachable(cls, previous: str, status: str) -> bool:
        """Whether a chain of allowed moves leads from `previous` to `status`: an import sees
        another system's record now and then, and the moves between are that system's."""
        seen, frontier = {previous}, [previous]
        while frontier:
            for following in cls.allowed_moves_from(frontier.pop()):
                if following == status:
                    return True
                if following not in seen:
                    seen.add(following)
                    frontier.append(following)
        return False

    def manual_moves_from(self, status: str) -> frozenset[str]:
        """The moves staff may make by hand in admin (the table's, unless a model keeps some
        for its services, e.g. a fee becomes Paid only through a payment)."""
        return self.allowed_moves_from(status)

    def status_label(self, status: str) -> str:
        field = self._meta.get_field(self.STATUS_FIELD)
        return str(dict(field.flatchoices).get(status, status))

    def refuse(self, previous: str, status: str) -> InvalidStatusMove:
        return self.move_error(
            _("%(record)s is %(status)s and cannot become %(new_status)s.")
            % {
                "record": self.describe(),
                "status": self.status_label(previous),
                "new_status": self.status_label(status),
            }
        )

    def describe(self) -> str:
        """How a message names this record, e.g. "Permit RES24-0150"."""
        return f"{str(self._meta.verbose_name).capitalize()} {self}"

    # -- extension points ---------------------------------------------------------------------
    def check_move(self, previous: str, status: str, context: dict[str, Any]) -> None:
        """Refuse (raise `self.move_error`) a move that the table allows but this record's
        state does not. The row is locked and the instance fresh from the database; `context`
        holds what the caller passed, with `by` and `note`."""

    def apply_move(self, previous: str, status: str, context: dict[str, Any]) -> Iterable[str]:
        """Set the fields that go with the move; return their names (they are saved with the
        status)."""
        return ()

    def event_about(self) -> Iterable[models.Model]:
        """The records this one's events are also about (in their history too)."""
        return ()

    def move_payload(self, previous: str, status: str, context: dict[str, Any]) -> dict[str, Any]:
        """Ids a move's event carries besides from, to and note (e.g. the payment of a fee)."""
        return {}

    def move_event(self, status: str) -> str:
        return self.STATUS_EVENTS.get(status) or f"{self.EVENT_SUBJECT}.status_changed"

    def record_move(self, previous: str, status: str, *, by, note: str, context=None):
        """Record the move as its event (core.events), in the move's transaction."""
        from .events import event_record

        return event_record(
            self.move_event(status),
            subject=self,
            actor=by,
            about=self.event_about(),
            **{"from": previous, "to": status, "note": note[:300]},
            **self.move_payload(previous, status, context or {}),
        )

    # -- the batch path (imports) ---------------------------------------------------------------
    @classmethod
    def record_moves(cls, moves: Iterable[tuple[Any, str, str]], *, note: str, context=None):
        """The batch path, for an import of thousands of records: the caller has checked each
        move (`previous` -> `status`) with `is_reachable` against the status in the database,
        under its row locks, and saved the records in bulk (a new record's move starts from
        ""). This records each move's event, as `move_to` does, in a few queries, and sends
        `status_moved` for each so that the apps above act on it as they do on a move."""
        from .events import EventSpec, events_record_many

        moves = list(moves)
        events_record_many(
            [
                EventSpec(
                    instance.move_event(status),
                    instance,
                    about=tuple(instance.event_about()),
                    payload={
                        "from": previous,
                        "to": status,
                        "note": note[:300],
                        **instance.move_payload(previous, status, context or {}),
                    },
                )
                for instance, previous, status in moves
            ]
        )
        for instance, previous, status in moves:
            status_moved.send(
                sender=cls,
                instance=instance,
                previous=previous,
                status=status,
                by=None,
                note=note,
                context=context or {},
            )

    # -- the move -----------------------------------------------------------------------------
    @transaction.atomic
    def move_to(
        self,
        status: str,
        *,
        by=None,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
        **context: Any,
    ) -> Any:
        """Move to `status`; returns the move's event. `changes` are other fields set
        and saved with the move (e.g. an inspection's result); `context` is what `check_move`
        and `apply_move` are told (e.g. the payment that pays a fee). Raises `move_error` for a
        move the table or `check_move` refuses: nothing is saved then."""
        if self.pk is None:
            raise StatusChangedOutsideMachine("Save the record before moving it.")
        model = type(self)
        # FOR NO KEY UPDATE: a move changes no key, so rows that refer to this one (a fee to its
        # permit, a copy to its original) are still inserted and checked meanwhile.
        fresh = model._default_manager.select_for_update(no_key=True).get(pk=self.pk)
        # What other requests saved meanwhile is what this move starts from.
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(fresh, field.attname))
        previous = self._status_value()
        if not self.is_allowed_move(previous, status):
            raise self.refuse(previous, status)
        self.check_move(previous, status, {**context, "by": by, "note": note})
        setattr(self, self.STATUS_FIELD, status)
        fields = {self.STATUS_FIELD, *self.apply_move(previous, status, context)}
        for name, value in (changes or {}).items():
            setattr(self, name, value)
            fields.add(name)
        if any(f.name == "updated_at" for f in self._meta.concrete_fields):
            fields.add("updated_at")
        self._moving = True
        try:
            # (save() then reads the new status as the one loaded.)
            self.save(update_fields=sorted(fields))
        finally:
            self._moving = False
        recorded = self.record_move(previous, status, by=by, note=note, context=context)
        status_moved.send(
            sender=model,
            instance=self,
            previous=previous,
            status=status,
            by=by,
            note=note,
            context=context,
        )
        return recorded
