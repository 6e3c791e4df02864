"""Writes to permits that span rows or models."""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.events import event_record
from core.uploads import document_save, upload_checked
from policy.collections import can_use_collection
from policy.permits import can_accept_contact_invitation, can_apply, can_upload, is_invited

from .checks import document_needed
from .exceptions import PermitError
from .invitations import invitation_from_token
from .issuing import permit_issue_when_ready
from .models import (
    Collection,
    CollectionItem,
    ContactType,
    Fee,
    FeeAdjustment,
    Permit,
    PermitContact,
    PermitDocument,
    PermitNumberSequence,
    PermitStatus,
    PermitType,
)


@transaction.atomic
def permits_expire(*, today: datetime.date | None = None) -> list[Permit]:
    """Issued permits whose expiry date has passed become Expired. Returns the permits changed.

    Rows are locked, so a staff member renewing a permit at the same moment wins or loses
    cleanly, and the job can run twice without doing anything twice.
    """
    today = today or timezone.localdate()
    due = (
        Permit.objects.select_for_update(skip_locked=True)
        .filter(status=PermitStatus.ISSUED, expires_on__lt=today)
        .order_by("expires_on", "id")
    )
    changed = []
    for permit in due:
        permit.move_to(
            PermitStatus.EXPIRED, note=f"Expired on {permit.expires_on:%m/%d/%Y}", on=today
        )
        changed.append(permit)
    return changed


# Fees -----------------------------------------------------------------------------------------


@transaction.atomic
def fee_adjust(*, fee: Fee, previous_amount: Decimal, reason: str, by) -> FeeAdjustment:
    """Record a change staff made to an assessed fee's amount (admin, with the reason): kept as
    a FeeAdjustment and an event in the permit's history. The fee itself is saved by the
    caller."""
    adjustment = FeeAdjustment.objects.create(
        fee=fee,
        previous_amount=previous_amount,
        amount=fee.amount,
        reason=reason.strip(),
        adjusted_by=by,
    )
    event_record(
        "fee.adjusted",
        subject=fee,
        actor=by,
        about=[fee.permit],
        previous=str(previous_amount),
        amount=str(fee.amount),
        note=reason.strip()[:300],
    )
    return adjustment


# Collections ----------------------------------------------------------------------------------


def _collection_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise PermitError(_("Give the collection a name."))
    if len(name) > 80:
        raise PermitError(_("A collection name has at most 80 characters."))
    return name


@transaction.atomic
def collection_create(*, owner, name: str) -> Collection:
    name = _collection_name(name)
    if Collection.objects.filter(owner=owner, name__iexact=name).exists():
        raise PermitError(_("You already have a collection named “%(name)s”.") % {"name": name})
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=owner, name=name)
    except IntegrityError:
        raise PermitError(
            _("You already have a collection named “%(name)s”.") % {"name": name}
        ) from None


NOT_YOUR_COLLECTION = gettext_noop("Choose one of your own collections.")


def _require_collection(by, *collections: Collection) -> None:
    if not all(can_use_collection(by, collection) for collection in collections):
        raise PermitError(_(NOT_YOUR_COLLECTION))


@transaction.atomic
def collection_add_permits(*, collection: Collection, permit_ids: Iterable[int], by) -> int:
    """Add permits to a collection; one already in it is left as it is. Returns how many were
    new."""
    _require_collection(by, collection)
    ids = set(permit_ids)
    if not ids:
        raise PermitError(_("Select at least one permit."))
    existing = set(Permit.objects.filter(pk__in=ids).values_list("pk", flat=True))
    already = set(
        CollectionItem.objects.filter(collection=collection, permit_id__in=existing).values_list(
            "permit_id", flat=True
        )
    )
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=collection, permit_id=pk) for pk in existing - already],
        ignore_conflicts=True,
    )
    return len(existing - already)


@transaction.atomic
def collection_remove_permits(*, collection: Collection, permit_ids: Iterable[int], by) -> int:
    _require_collection(by, collection)
    ids = set(permit_ids)
    if not ids:
        raise PermitError(_("Select at least one permit."))
    removed, _by_model = CollectionItem.objects.filter(
        collection=collection, permit_id__in=ids
    ).delete()
    return removed


@transaction.atomic
def collection_move_permits(
    *, source: Collection, target: Collection, permit_ids: Iterable[int], by, keep: bool = False
) -> int:
    """ "Move to..." (or, with keep, "Copy to...") another of the user's collections."""
    _require_collection(by, source, target)
    if source.pk == target.pk:
        raise PermitError(_("Choose another collection than this one."))
    ids = set(
        CollectionItem.objects.filter(collection=source, permit_id__in=set(permit_ids)).values_list(
            "permit_id", flat=True
        )
    )
    if not ids:
        raise PermitError(_("Select at least one permit."))
    collection_add_permits(collection=target, permit_ids=ids, by=by)
    if not keep:
        CollectionItem.objects.filter(collection=source, permit_id__in=ids).delete()
    return len(ids)


@transaction.atomic
def collection_rename(*, collection: Collection, name: str, by) -> Collection:
    _require_collection(by, collection)
    name = _collection_name(name)
    clash = Collection.objects.filter(owner_id=collection.owner_id, name__iexact=name).exclude(
        pk=collection.pk
    )
    if clash.exists():
        raise PermitError(_("You already have a collection named “%(name)s”.") % {"name": name})
    collection.name = name
    try:
        with transaction.atomic():
            collection.save(update_fields=["name"])
    except IntegrityError:
        raise PermitError(
            _("You already have a collection named “%(name)s”.") % {"name": name}
        ) from None
    return collection


@transaction.atomic
def collection_delete(*, collection: Collection, by) -> None:
    """Delete the collection (its permits are not affected)."""
    _require_collection(by, collection)
    collection.delete()


# Contacts -------------------------------------------------------------------------------------

CONTACTS_NEED_APPLY = gettext_noop(
    "Adding or removing contacts needs the Apply role at the permit's contractor."
)


# A contact is invited, never added outright (permits.invitations): the answer to "add this
# address" is the same whether or not an account has it (the old "No registered user has that
# email" told anyone with the Apply role which addresses are registered), and only the
# account's owner, by accepting, makes it a contact.


def registered_user(email: str):
    return (
        get_user_model()
        .objects.filter(email__iexact=email.strip(), is_active=True)
        .exclude(email="")
        .first()
    )


@transaction.atomic
def permit_contact_invite(*, permit: Permit, email: str, contact_type: str, by) -> None:
    """Invite the registered user with this email address to be a contact on the permit: they
    are emailed a link and become a contact when they accept it. Returns nothing, whatever
    happened: the caller never learns whether the address is registered (no account, or one
    already a contact, gets no email)."""
    if not can_apply(by, permit):
        raise PermitError(_(CONTACTS_NEED_APPLY))
    if contact_type not in ContactType.values:
        raise PermitError(_("Choose a contact type."))
    user = registered_user(email)
    if user is None or PermitContact.objects.filter(permit=permit, user=user).exists():
        return
    # The invited user's event, not the permit's: the permit's history would tell the inviter
    # whether the address is registered. The link is made when the email is (no secret here).
    event_record(
        "permit.contact_invited",
        subject=user,
        actor=by,
        permit=permit.pk,
        contact_type=contact_type,
    )


@transaction.atomic
def permit_contact_accept(*, token: str, user) -> PermitContact:
    """The invited user accepts: they become a contact, added by whoever invited them, if that
    person still may change the permit's contacts."""
    invitation = invitation_from_token(token)
    if not is_invited(user, invitation):
        raise PermitError(_("This invitation is for another account."))
    inviter = get_user_model().objects.filter(pk=invitation.invited_by_id).first()
    if not can_accept_contact_invitation(user, invitation, inviter):
        raise PermitError(
            _(
                "Whoever invited you can no longer change this permit's contacts: ask the "
                "permit's contractor for a new invitation."
            )
        )
    contact, _created = PermitContact.objects.get_or_create(
        permit=invitation.permit,
        user=user,
        defaults={"contact_type": invitation.contact_type, "added_by": inviter},
    )
    return contact


@transaction.atomic
def permit_contact_remove(*, contact: PermitContact, by) -> None:
    if not can_apply(by, contact.permit):
        raise PermitError(_(CONTACTS_NEED_APPLY))
    contact.delete()


# Permit numbers -------------------------------------------------------------------------------

PERMIT_NUMBER_DIGITS = 4


def _number_in_use(prefix: str) -> tuple[int, int]:
    """The highest sequence among permits already numbered `prefix`NNNN (imported, or made
    before the sequence existed), for a new sequence to start after, and its digits (an
    import's RES26-013323 has six: the numbers that follow keep six, RES26-013324, never
    RES26-13324). (`startswith` lets the index narrow what the regular expression reads.)"""
    number = (
        Permit.objects.filter(number__startswith=prefix, number__regex=rf"^{re.escape(prefix)}\d+$")
        .annotate(width=Length("number"))
        .order_by("-width", "-number")
        .values_list("number", flat=True)
        .first()
    )
    if number is None:
        return 0, PERMIT_NUMBER_DIGITS
    tail = number[len(prefix) :]
    return int(tail), max(PERMIT_NUMBER_DIGITS, len(tail))


@transaction.atomic
def permit_number_next(*, permit_type: PermitType, on: datetime.date | None = None) -> str:
    """The next number in the type's scheme: its code, the two-digit year and a sequence
    (RES26-0001). Call it in the transaction that creates the permit: the sequence's row stays
    locked until that commits, so concurrent callers wait and take the next number, and a
    rollback gives the number back (no gaps). A number already taken by another way in (an
    import) is passed over."""
    year = (on or timezone.localdate()).year % 100
    code = permit_type.code.upper()
    prefix = f"{code}{year:02d}-"
    sequence = (
        PermitNumberSequence.objects.select_for_update().filter(prefix=code, year=year).first()
    )
    if sequence is None:
        try:
            last, digits = _number_in_use(prefix)
            with transaction.atomic():
                PermitNumberSequence.objects.create(
                    prefix=code, year=year, last=last, digits=digits
                )
        except IntegrityError:
            pass  # another submit created it first: take it under lock below
        sequence = PermitNumberSequence.objects.select_for_update().get(prefix=code, year=year)
    while True:
        sequence.last += 1
        number = f"{prefix}{sequence.last:0{sequence.digits}d}"
        if not Permit.objects.filter(number=number).exists():
            break
    sequence.save(update_fields=["last"])
    return number


# Documents ------------------------------------------------------------------------------------


@transaction.atomic
def permit_document_upload(*, permit: Permit, upload, by, kind: str = "") -> PermitDocument:
    """Keep a file uploaded to the permit. With `kind`, it is the document of that kind the
    permit needs before issuance (in that kind's formats), which it then has wherever it was
    uploaded from (the permit's page, its Reviews page, a condition's answer): a permit Ready
    to Issue that needed nothing else is issued."""
    if not can_upload(by, permit):
        raise PermitError(
            _("Uploading files needs the Upload Files role at the permit's contractor.")
        )
    accepted = {}
    if kind:
        needed = document_needed(permit, kind)
        if needed is None:
            raise PermitError(
                _(
                    "Permit %(number)s does not need a %(document)s now: upload the file as "
                    "another document."
                )
                % {"number": permit.number, "document": kind}
            )
        accepted = {"accepted": needed.content_types, "formats": needed.formats}
    name, content_type = upload_checked(
        upload, limit=settings.PERMIT_DOCUMENT_MAX_BYTES, error=PermitError, **accepted
    )
    document = PermitDocument(
        permit=permit,
        original_name=name,
        kind=kind,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    document_save(document, upload, name)
    if kind:
        permit_issue_when_ready(permit=permit, by=by, note=f"Issued: the {kind} is in")
    return document
