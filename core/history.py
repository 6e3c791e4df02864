"""A record's history, read from the event record (core.events): what happened, when, by whom and
why, as a person reads it, for the permit page and for admin."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _

from .events import CATALOGUE, events_about
from .models import Event


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    title: str  # "Permit issued"
    change: str  # "Ready to Issue → Issued", or ""
    actor: str  # "Jane Clerk", "City staff", "the portal"
    note: str
    event_type: str


def history_of(record: models.Model, *, for_staff: bool, limit: int = 50) -> list[HistoryEntry]:
    """The record's events, newest first. Staff see who acted by name; a contractor sees
    "City staff" for a clerk's action and a colleague's name for their own side's."""
    return [entry_of(event, for_staff=for_staff) for event in events_about(record)[:limit]]


def entry_of(event: Event, *, for_staff: bool) -> HistoryEntry:
    payload = event.payload or {}
    change = ""
    if "to" in payload:
        labels = _status_labels(event)
        before = labels.get(payload.get("from") or "", payload.get("from") or "")
        after = labels.get(payload["to"], payload["to"])
        change = f"{before} → {after}" if before else str(after)
    return HistoryEntry(
        at=event.occurred_at,
        title=str(CATALOGUE.get(event.type, event.type)),
        change=change,
        actor=_actor(event, for_staff=for_staff),
        note=str(payload.get("note") or ""),
        event_type=event.type,
    )


def _actor(event: Event, *, for_staff: bool) -> str:
    actor = event.actor
    if actor is None:
        return _("the portal")
    if actor.is_staff and not for_staff:
        return _("City staff")
    return actor.get_full_name() or actor.get_username()


def _status_labels(event: Event) -> dict[str, str]:
    model = event.content_type.model_class()
    field_name = getattr(model, "STATUS_FIELD", None)
    if model is None or field_name is None:
        return {}
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}
