"""Admin pieces for the status machine: status is never a field a clerk types into; the moves the
model's table allows are offered as a "Move to" choice with a note, and made by `move_to`."""

from django import forms
from django.contrib import admin, messages
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .history import history_of
from .models import Event, EventDelivery, OutboxTask
from .money import format_money
from .status import InvalidStatusMove


class StatusMoveForm(forms.ModelForm):
    """A model form with the status machine's "Move to" and "Note" fields. On a saved record the
    status itself is read only (StatusMoveAdmin); the move is checked here against the record's
    rules, and made on save against the row as it is in the database then."""

    move_to = forms.ChoiceField(
        label=gettext_lazy("Move to"),
        required=False,
        help_text=gettext_lazy("The moves the department makes from this status."),
    )
    # Who would make the move (the admin sets the request's user): a model's rules may ask.
    mover = None

    move_note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Why (kept in the status history; required to waive a fee)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            current = instance._status_value()
            self.fields["move_to"].choices = [
                ("", _("Keep: %(status)s") % {"status": instance.status_label(current)}),
                *(
                    (status, instance.status_label(status))
                    for status, _label in instance._meta.get_field(instance.STATUS_FIELD).choices
                    if status in instance.manual_moves_from(current)
                ),
            ]
        else:
            self.fields["move_to"].choices = [("", "")]
            self.fields["move_to"].disabled = True

    def clean(self):
        cleaned = super().clean()
        move = cleaned.get("move_to")
        if move and self.instance.pk:
            current = self.instance._status_value()
            try:
                if move not in self.instance.manual_moves_from(current):
                    raise self.instance.refuse(current, move)
                self.instance.check_move(
                    current, move, {"by": self.mover, "note": cleaned.get("move_note", "")}
                )
            except InvalidStatusMove as error:
                self.add_error("move_to", str(error))
        return cleaned


class StatusMoveAdmin(admin.ModelAdmin):
    """A ModelAdmin for a StatusMachine model: its status is never typed in (a new record starts
    in the model's first status), and its change form has "Move to" and "Note" (put
    `STATUS_FIELDS` in the fieldsets)."""

    form = StatusMoveForm
    STATUS_FIELDS = ("status", "move_to", "move_note")
    # For a model whose moves go to core's history (not one of its own).
    HISTORY_FIELDS = ("status_history",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The move is checked in the form as `move_to` will check it: by this user.
        return type(form.__name__, (form,), {"mover": request.user})

    def get_readonly_fields(self, request, obj=None):
        # Read only on a new record too: it starts in the model's first status (a fee Due, a
        # permit Applied) and moves from there, never typed in as Paid or Issued.
        fields = list(super().get_readonly_fields(request, obj))
        if self.model.STATUS_FIELD not in fields:
            fields.append(self.model.STATUS_FIELD)
        return [*fields, "status_history"]

    @admin.display(description=gettext_lazy("History"))
    def status_history(self, obj) -> str:
        """The record's events (core.events), newest first: its moves, and what else happened
        to it or to the records it holds (a permit's fees, payments and inspections)."""
        if obj is None or obj.pk is None:
            return "-"
        return history_html(obj)

    def offers_moves(self, request, obj) -> bool:
        # Not on a new record, nor to staff who may only look (a read-only "Move to" was a 500:
        # the admin took the model's move_to method for a field to show).
        return obj is not None and self.has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not self.offers_moves(request, obj):
            fields = [name for name in fields if name not in ("move_to", "move_note")]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.offers_moves(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], ("move_to", "move_note"))})
            for name, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        note = form.cleaned_data.get("move_note", "")
        if not change:
            obj.record_move("", obj._status_value(), by=request.user, note=note)
            return
        move = form.cleaned_data.get("move_to")
        if not move:
            return
        try:
            obj.move_to(move, by=request.user, note=note)
        except InvalidStatusMove as error:
            messages.error(request, str(error))
        else:
            messages.info(
                request,
                _("%(record)s is now %(status)s.")
                % {"record": obj.describe(), "status": obj.status_label(move)},
            )


def _without(fields, names):
    kept = []
    for item in fields:
        if isinstance(item, list | tuple):
            item = tuple(name for name in item if name not in names)
            if item:
                kept.append(item)
        elif item not in names:
            kept.append(item)
    return kept


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the portal or the database (a history, a count): viewed, never added,
    changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def history_html(record) -> str:
    """A record's history as admin shows it (names of staff included)."""
    entries = history_of(record, for_staff=True)
    if not entries:
        return _("Nothing recorded.")
    when = _("m/d/Y H:i")
    rows = (
        (
            dateformat.format(timezone.localtime(entry.at), when),
            history_line(entry),
        )
        for entry in entries
    )
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {}</li>", rows))


def history_line(entry) -> str:
    """One entry's words after its date: "Permit issued: Ready to Issue → Issued, by Jane
    Clerk (paid online)"."""
    words = {
        "title": entry.title,
        "change": entry.change,
        "actor": entry.actor,
        "note": entry.note,
    }
    if entry.change and entry.note:
        return _("%(title)s: %(change)s, by %(actor)s (%(note)s)") % words
    if entry.change:
        return _("%(title)s: %(change)s, by %(actor)s") % words
    if entry.note:
        return _("%(title)s, by %(actor)s (%(note)s)") % words
    return _("%(title)s, by %(actor)s") % words


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The event record (core.events): everything that happened, each heard by its
    subscribers. Read only: nothing that happened is changed afterwards."""

    list_display = ("occurred_at", "type", "content_type", "object_id", "actor")
    list_filter = ("type",)
    list_select_related = ("content_type", "actor")
    fields = ("occurred_at", "type", "content_type", "object_id", "actor", "payload")
    ordering = ("-occurred_at", "-id")
    show_full_result_count = False


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    """Each subscriber hearing each event: one not delivered, with an error, is a subscriber
    failing (it is tried again with backoff; `manage.py deliver_events` queues the given-up
    ones again)."""

    list_display = ("created_at", "subscriber", "event", "attempts", "delivered_at", "last_error")
    list_filter = (("delivered_at", admin.EmptyFieldListFilter), "subscriber")
    list_select_related = ("event",)
    ordering = ("-created_at",)
    show_full_result_count = False


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """The outbox (core.outbox): tasks, mostly emails, waiting for the broker, and those sent in
    the last days. A row pending long with an error means the broker (Redis) or the relay
    (`manage.py relay_outbox`) is down. Arguments are never shown: a pending email may hold a
    password reset link."""

    list_display = ("created_at", "task_name", "sent_at", "attempts", "next_attempt_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    fields = ("task_name", "created_at", "sent_at", "attempts", "next_attempt_at", "last_error")
    ordering = ("-created_at",)
    show_full_result_count = False


def money(field: str, description: str | None = None, *, ordering: bool = True):
    """A list column or read-only field showing a money field (or annotation) of the object as
    money: $1,925.81, never 1925.81000000000. Use the returned callable in `list_display`, or in
    both `fields` and `readonly_fields` of a read-only form."""

    def show(obj) -> str:
        return format_money(getattr(obj, field, None))

    show.short_description = description or field.replace("_", " ")
    if ordering:
        show.admin_order_field = field
    show.__name__ = f"{field}_as_money"
    return show


class LabelledInlineFormSet(forms.BaseInlineFormSet):
    """A tabular inline's inputs sit under a column heading, with no label of their own: each
    gets its column's name and its row as its accessible name ("Amount, row 2"), so that a
    screen reader says what it is."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            label = _("Delete") if name == "DELETE" else (field.label or name.replace("_", " "))
            if index is None:
                accessible = _("%(label)s, new row") % {"label": label}
            else:
                accessible = _("%(label)s, row %(row)s") % {"label": label, "row": index + 1}
            # A related field's select is inside admin's wrapper, whose own attrs are the
            # original select's (shared by every row's copy): label the copy that is drawn.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs.setdefault("aria-label", accessible)


class TabularInline(admin.TabularInline):
    """The portal's tabular inline: admin.TabularInline with labelled inputs."""

    formset = LabelledInlineFormSet
