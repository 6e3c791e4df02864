"""The policy (the `policy` package): every rule, for every kind of user, as one literal table.

Each row is a kind of user, built fresh in a small world; each column is a rule asked of one of
that world's objects. A cell is "Y" when the user passes. Changing who passes a rule changes a
cell here, on purpose: the table is the rules' specification, read in one place.

The world: business "Holder" holds license L; permit P (issued, a fee due, a scheduled
inspection I) and permit U (expired) name L; business "Other" holds license M, named on
permit Q. Business columns ask about Holder. Plan review discipline D belongs to a staff group.
"Own" objects (an application, a membership, a license link, a payment, a collection) are the
row's user's; "other" ones are somebody else's.

Columns:
- view ........ can_view_private(P)
- pay ......... can_pay(P)
- request ..... can_request_inspection(P)
- request-U ... can_request_inspection(U): only an issued permit takes requests
- cancel ...... can_cancel_inspection(I)
- upload ...... can_upload(P)
- apply ....... can_apply(P) (add or remove contacts)
- c-answer .... can_answer_condition(P): answer its conditions of approval online
- join ........ can_join_business() (by PIN)
- member ...... can_view_business(Holder): its page and members, and leaving it
- manage ...... can_manage_business(Holder)
- pin ......... can_see_pin(Holder)
- trust ....... can_use_trust_account(Holder)
- trust-P ..... can_use_trust_account(Holder, permit_ids=[P]): pays for its own permit
- trust-Q ..... can_use_trust_account(Holder, permit_ids=[Q]): never for another's permit
- start ....... can_start_application(): apply online
- a-view ...... can_view_application(A), A an application of the row's own, for Holder
- a-work ...... can_work_on_application(A): change, submit or withdraw it
- a-upload .... can_upload_to_application(A)
- r-decide .... can_decide_review(R): start and decide plan review R (staff only)
- r-assign .... can_reassign_review(R): give R to another reviewer (supervisors only)
- i-view ...... can_view_inspection(I)
- feed ........ can_follow_calendar_feed(): their private calendar link answers
- leave ....... can_remove_member(own membership at Holder): leave the business
- remove ...... can_remove_member(another member's membership at Holder)
- link ........ can_remove_license_link(own link); link-x: someone else's
- receipt ..... can_view_payment(own payment); receipt-x: someone else's
- coll ........ can_use_collection(own collection); coll-x: someone else's
- invited ..... is_invited(own invitation to be P's contact): see it
- inv-ok ...... can_accept_contact_invitation(own invitation, from a user with Apply at Holder;
                where the row has made L inactive, the sender can no longer change contacts)
- inv-lost .... the same, from a user who has lost Apply there; inv-x: someone else's invitation
- staff ....... is_city_staff()
- inspector ... is_inspector(): in the Inspectors group
- l-review .... is_license_reviewer(): in the License Reviewers group (told of link requests)
- links ....... can_decide_license_links(): approve or reject license links
- docs ........ can_open_permit_documents(): admin's document download
- deposit ..... can_record_trust_deposit(): admin's trust deposit form
- r-group ..... can_review_discipline(D): reviews of D are assigned to them
- supervisor .. is_review_supervisor(): decides and reassigns any review
- conditions .. can_mark_condition_met(): marks conditions of approval met
- i-result .... can_record_inspection_result(I): records I's result (and requests its
                re-inspection): its assigned inspector, or staff who may change inspections
- intake ...... is_intake_clerk(): works the intake queue (lands on it after signing in)
- p-review .... is_plan_reviewer(): has "My reviews" (lands on it after signing in)
- enrol ....... can_send_authenticator_links(): sends staff their authenticator set-up link
- t-deposit ... can_deposit_to_trust_account(Holder): deposit online by card or e-check
- unwaive ..... can_reinstate_waived_fee(): a waived fee back to due (before its permit is issued)
- c-read ...... can_read_condition(C), C a condition of approval of R: its page in admin (its
                answer), for who marks conditions met and whoever decides R (told of answers)

Rows (every signed-in user has a verified email address unless the row says otherwise):
- anonymous .......... not signed in
- unverified ......... approved on L and Manage at Holder, but the address is not verified
- stranger ........... signed in, nothing else
- pending ............ a pending link to L
- registered ......... an approved link to L (a registered contractor), no membership
- registered-susp .... the same, with L suspended: its permits' history stays visible, but
                       nothing is done on them (no inspection requested or cancelled)
- no-roles ........... a member of Holder with no roles
- Manage, Apply, Pay, Inspections, Upload: that one role at Holder
- Manage-revoked ..... Manage at Holder, with L revoked: history visible, fees still payable
                       (what is owed is owed), no inspections, uploads or contacts; the
                       business itself (members, PIN, trust account) is still theirs to run
- Inspections-exp .... Inspections at Holder, with L expired
- other-business ..... Manage at Other
- contact ............ named on P as a contact
- staff .............. a superuser and staff member: staff act in Django admin, and being
                       staff passes no contractor's rule here; a superuser may decide any
                       plan review
- reviewer ........... staff (not a superuser), R's assigned reviewer, in D's group, with the
                       permission to view My reviews
- inspector .......... staff in the Inspectors group, I's assigned inspector
- clerk .............. staff in the License Reviewers group, with the permissions to decide license links, open permit
                       documents, record trust deposits, change conditions of approval, change fees,
                       work the intake queue and view My reviews
- inactive-admin ..... a superuser and staff member whose account was deactivated (and who
                       was R's reviewer): passes no staff rule
"""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from licenses.models import LicenseStatus
from permits import scopes
from permits.models import PermitContact, PermitStatus
from permits.templatetags.policy import RULES, UnknownRule
from policy import applications as application_rules
from policy import businesses as business_rules
from policy import collections as collection_rules
from policy import facts as policy_facts
from policy import inspections as inspection_rules
from policy import payments as payment_rules
from policy import permits as permit_rules
from policy import reviews as review_rules
from policy import staff as staff_rules
from tests.factories import (
    ContractorFactory,
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    set_status,
    verify_email,
)

pytestmark = pytest.mark.django_db

TABLE = """
                 view  pay  request  request-U  cancel  upload  apply  c-answer  join  member  manage  pin  trust  trust-P  trust-Q  start  a-view  a-work  a-upload  r-decide  r-assign  i-view  feed  leave  remove  link  link-x  receipt  receipt-x  coll  coll-x  invited  inv-ok  inv-lost  inv-x  staff  inspector  l-review  links  docs  deposit  r-group  supervisor  conditions  i-result  intake  p-review  enrol  t-deposit  unwaive  c-read
anonymous        -     -    -        -          -       -       -      -         -     -       -       -    -      -        -        -      -       -       -         -         -         -       -     -      -       -     -       -        -          -     -       -        -       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
unverified       -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      -       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
stranger         -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
pending          -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
registered       Y     -    Y        -          Y       -       -      Y         Y     -       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
registered-susp  Y     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     -      -       Y     -       Y        -          Y     -       Y        -       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
no-roles         -     -    -        -          -       -       -      -         Y     Y       -       -    -      -        -        -      Y       -       -         -         -         -       Y     Y      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
Manage           Y     Y    Y        -          Y       Y       Y      Y         Y     Y       Y       Y    Y      Y        -        Y      Y       Y       Y         -         -         Y       Y     Y      Y       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      Y          -        -
Apply            Y     -    -        -          -       -       Y      Y         Y     Y       -       -    -      -        -        Y      Y       Y       -         -         -         Y       Y     Y      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
Pay              Y     Y    -        -          -       -       -      -         Y     Y       -       -    Y      Y        -        -      Y       -       -         -         -         Y       Y     Y      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
Inspections      Y     -    Y        -          Y       -       -      -         Y     Y       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     Y      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
Upload           Y     -    -        -          -       Y       -      Y         Y     Y       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     Y      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
Manage-revoked   Y     Y    -        -          -       -       -      -         Y     Y       Y       Y    Y      Y        -        -      Y       -       -         -         -         Y       Y     Y      Y       Y     -       Y        -          Y     -       Y        -       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      Y          -        -
Inspections-exp  Y     -    -        -          -       -       -      -         Y     Y       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     Y      -       Y     -       Y        -          Y     -       Y        -       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
other-business   -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        Y      Y       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
contact          Y     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         Y       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
staff            -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         Y         Y         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      Y      -          -         Y      Y     Y        -        Y           Y           Y         Y       Y         Y      -          Y        Y
reviewer         -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         Y         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      Y      -          -         -      -     -        Y        -           -           -         -       Y         -      -          -        Y
inspector        -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      Y      Y          -         -      -     -        -        -           -           Y         -       -         -      -          -        -
clerk            -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         -       Y     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      Y      -          Y         Y      Y     Y        -        -           Y           -         Y       Y         -      -          Y        Y
inactive-admin   -     -    -        -          -       -       -      -         Y     -       -       -    -      -        -        -      Y       -       -         -         -         -       -     -      -       Y     -       Y        -          Y     -       Y        Y       -         -      -      -          -         -      -     -        -        -           -           -         -       -         -      -          -        -
"""


def parse(table: str) -> tuple[list[str], dict[str, dict[str, bool]]]:
    header, *lines = [line.split() for line in table.strip().splitlines()]
    rows = {}
    for name, *cells in lines:
        assert len(cells) == len(header), f"row {name} has {len(cells)} cells"
        assert set(cells) <= {"Y", "-"}, f"row {name}: a cell is Y or -"
        rows[name] = {column: cell == "Y" for column, cell in zip(header, cells, strict=True)}
    return header, rows


COLUMNS, EXPECTED = parse(TABLE)


@dataclass
class World:
    holder: object
    other: object
    license: object
    permit: object
    unissued: object
    inspection: object
    foreign: object
    application: object
    review: object
    discipline: object
    inviter: object
    former_inviter: object
    own: SimpleNamespace
    others: SimpleNamespace


def make_world() -> World:
    holder = ContractorFactory(business_name="Holder")
    other = ContractorFactory(business_name="Other")
    license = LicenseFactory(holder=holder)
    permit = PermitFactory(licenses=[license])
    FeeFactory(permit=permit)
    unissued = PermitFactory(licenses=[license], status=PermitStatus.EXPIRED)
    foreign = PermitFactory(licenses=[LicenseFactory(holder=other)])
    inviter, former_inviter = verified_user(), verified_user()
    MembershipFactory(user=inviter, contractor=holder, can_apply=True)
    MembershipFactory(user=former_inviter, contractor=holder)
    return World(
        holder=holder,
        other=other,
        license=license,
        permit=permit,
        unissued=unissued,
        inspection=InspectionFactory(permit=permit),
        foreign=foreign,
        application=SimpleNamespace(applicant_id=None, business_id=holder.pk),
        review=SimpleNamespace(reviewer_id=None),
        discipline=SimpleNamespace(group_id=Group.objects.create(name="Building review").pk),
        inviter=inviter,
        former_inviter=former_inviter,
        # The row's user's own objects (answers() sets their user), and somebody else's.
        own=SimpleNamespace(
            invitation=SimpleNamespace(user_id=None, permit=permit),
            membership=SimpleNamespace(user_id=None, contractor_id=holder.pk),
            link=SimpleNamespace(user_id=None),
            payment=SimpleNamespace(user_id=None),
            collection=SimpleNamespace(owner_id=None),
        ),
        others=SimpleNamespace(
            invitation=SimpleNamespace(user_id=-1, permit=permit),
            membership=SimpleNamespace(user_id=-1, contractor_id=holder.pk),
            link=SimpleNamespace(user_id=-1),
            payment=SimpleNamespace(user_id=-1),
            collection=SimpleNamespace(owner_id=-1),
        ),
    )


def verified_user(**fields):
    user = UserFactory(**fields)
    verify_email(user)
    return user


def approved_link(user, license) -> None:
    LicenseLinkFactory(user=user, license=license, status="approved", decided_at=timezone.now())


def role_at_holder(field: str) -> Callable[[World], object]:
    def make(world: World):
        user = verified_user()
        MembershipFactory(user=user, contractor=world.holder, **{field: True})
        return user

    return make


def make_unverified(world: World):
    user = UserFactory()
    verify_email(user, verified=False)
    approved_link(user, world.license)
    MembershipFactory(user=user, contractor=world.holder, can_manage=True)
    return user


def make_pending(world: World):
    user = verified_user()
    LicenseLinkFactory(user=user, license=world.license)
    return user


def make_registered(world: World):
    user = verified_user()
    approved_link(user, world.license)
    return user


def make_registered_suspended(world: World):
    set_status(world.license, LicenseStatus.SUSPENDED)
    return make_registered(world)


def with_license_status(make: Callable[[World], object], status: str):
    def make_with_status(world: World):
        set_status(world.license, status)
        return make(world)

    return make_with_status


def make_no_roles(world: World):
    user = verified_user()
    MembershipFactory(user=user, contractor=world.holder)
    return user


def make_other_business(world: World):
    user = verified_user()
    MembershipFactory(user=user, contractor=world.other, can_manage=True)
    return user


def make_contact(world: World):
    user = verified_user()
    PermitContact.objects.create(permit=world.permit, user=user, contact_type="owner")
    return user


def make_staff(world: World):
    return verified_user(is_staff=True, is_superuser=True)


def make_reviewer(world: World):
    user = verified_user(is_staff=True)
    user.groups.add(world.discipline.group_id)
    user.user_permissions.add(Permission.objects.get(codename="view_myreview"))
    world.review.reviewer_id = user.pk
    return user


def make_inspector(world: World):
    from inspections.models import Inspector

    user = verified_user(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=staff_rules.INSPECTORS_GROUP)[0])
    world.inspection.inspector = Inspector.objects.create(user=user)
    world.inspection.save()
    return user


def make_clerk(world: World):
    user = verified_user(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=staff_rules.LICENSE_REVIEWERS_GROUP)[0])
    for name in (
        "change_licenselink",
        "view_permitdocument",
        "add_trustentry",
        "change_reviewcondition",
        "change_intakequeue",
        "view_myreview",
        "change_fee",
    ):
        user.user_permissions.add(Permission.objects.get(codename=name))
    return user


def make_inactive_admin(world: World):
    user = verified_user(is_staff=True, is_superuser=True, is_active=False)
    user.groups.add(world.discipline.group_id)
    world.review.reviewer_id = user.pk
    return user


USERS: dict[str, Callable[[World], object]] = {
    "anonymous": lambda world: AnonymousUser(),
    "unverified": make_unverified,
    "stranger": lambda world: verified_user(),
    "pending": make_pending,
    "registered": make_registered,
    "registered-susp": make_registered_suspended,
    "no-roles": make_no_roles,
    "Manage": role_at_holder("can_manage"),
    "Apply": role_at_holder("can_apply"),
    "Pay": role_at_holder("can_pay"),
    "Inspections": role_at_holder("can_inspect"),
    "Upload": role_at_holder("can_upload"),
    "Manage-revoked": with_license_status(role_at_holder("can_manage"), LicenseStatus.REVOKED),
    "Inspections-exp": with_license_status(role_at_holder("can_inspect"), LicenseStatus.EXPIRED),
    "other-business": make_other_business,
    "contact": make_contact,
    "staff": make_staff,
    "reviewer": make_reviewer,
    "inspector": make_inspector,
    "clerk": make_clerk,
    "inactive-admin": make_inactive_admin,
}

# Column -> (the rule, its arguments in the world, keyword arguments).
CASES: dict[str, tuple[Callable[..., bool], Callable[[World], tuple], Callable[[World], dict]]] = {
    "view": (permit_rules.can_view_private, lambda w: (w.permit,), lambda w: {}),
    "pay": (permit_rules.can_pay, lambda w: (w.permit,), lambda w: {}),
    "request": (permit_rules.can_request_inspection, lambda w: (w.permit,), lambda w: {}),
    "request-U": (permit_rules.can_request_inspection, lambda w: (w.unissued,), lambda w: {}),
    "cancel": (permit_rules.can_cancel_inspection, lambda w: (w.inspection,), lambda w: {}),
    "upload": (permit_rules.can_upload, lambda w: (w.permit,), lambda w: {}),
    "apply": (permit_rules.can_apply, lambda w: (w.permit,), lambda w: {}),
    "c-answer": (permit_rules.can_answer_condition, lambda w: (w.permit,), lambda w: {}),
    "join": (business_rules.can_join_business, lambda w: (), lambda w: {}),
    "member": (business_rules.can_view_business, lambda w: (w.holder.pk,), lambda w: {}),
    "manage": (business_rules.can_manage_business, lambda w: (w.holder.pk,), lambda w: {}),
    "pin": (business_rules.can_see_pin, lambda w: (w.holder.pk,), lambda w: {}),
    "trust": (business_rules.can_use_trust_account, lambda w: (w.holder.pk,), lambda w: {}),
    "trust-P": (
        business_rules.can_use_trust_account,
        lambda w: (w.holder.pk,),
        lambda w: {"permit_ids": [w.permit.pk]},
    ),
    "trust-Q": (
        business_rules.can_use_trust_account,
        lambda w: (w.holder.pk,),
        lambda w: {"permit_ids": [w.foreign.pk]},
    ),
    "start": (application_rules.can_start_application, lambda w: (), lambda w: {}),
    "a-view": (application_rules.can_view_application, lambda w: (w.application,), lambda w: {}),
    "a-work": (application_rules.can_work_on_application, lambda w: (w.application,), lambda w: {}),
    "a-upload": (
        application_rules.can_upload_to_application,
        lambda w: (w.application,),
        lambda w: {},
    ),
    "r-decide": (review_rules.can_decide_review, lambda w: (w.review,), lambda w: {}),
    "r-assign": (review_rules.can_reassign_review, lambda w: (w.review,), lambda w: {}),
    "i-view": (inspection_rules.can_view_inspection, lambda w: (w.inspection,), lambda w: {}),
    "feed": (inspection_rules.can_follow_calendar_feed, lambda w: (), lambda w: {}),
    "leave": (business_rules.can_remove_member, lambda w: (w.own.membership,), lambda w: {}),
    "remove": (business_rules.can_remove_member, lambda w: (w.others.membership,), lambda w: {}),
    "link": (business_rules.can_remove_license_link, lambda w: (w.own.link,), lambda w: {}),
    "link-x": (business_rules.can_remove_license_link, lambda w: (w.others.link,), lambda w: {}),
    "receipt": (payment_rules.can_view_payment, lambda w: (w.own.payment,), lambda w: {}),
    "receipt-x": (payment_rules.can_view_payment, lambda w: (w.others.payment,), lambda w: {}),
    "coll": (collection_rules.can_use_collection, lambda w: (w.own.collection,), lambda w: {}),
    "coll-x": (collection_rules.can_use_collection, lambda w: (w.others.collection,), lambda w: {}),
    "invited": (permit_rules.is_invited, lambda w: (w.own.invitation,), lambda w: {}),
    "inv-ok": (
        permit_rules.can_accept_contact_invitation,
        lambda w: (w.own.invitation, fresh(w.inviter)),
        lambda w: {},
    ),
    "inv-lost": (
        permit_rules.can_accept_contact_invitation,
        lambda w: (w.own.invitation, fresh(w.former_inviter)),
        lambda w: {},
    ),
    "inv-x": (
        permit_rules.can_accept_contact_invitation,
        lambda w: (w.others.invitation, fresh(w.inviter)),
        lambda w: {},
    ),
    "staff": (staff_rules.is_city_staff, lambda w: (), lambda w: {}),
    "inspector": (staff_rules.is_inspector, lambda w: (), lambda w: {}),
    "l-review": (staff_rules.is_license_reviewer, lambda w: (), lambda w: {}),
    "links": (staff_rules.can_decide_license_links, lambda w: (), lambda w: {}),
    "docs": (staff_rules.can_open_permit_documents, lambda w: (), lambda w: {}),
    "deposit": (staff_rules.can_record_trust_deposit, lambda w: (), lambda w: {}),
    "r-group": (review_rules.can_review_discipline, lambda w: (w.discipline,), lambda w: {}),
    "supervisor": (review_rules.is_review_supervisor, lambda w: (), lambda w: {}),
    "conditions": (review_rules.can_mark_condition_met, lambda w: (), lambda w: {}),
    "i-result": (
        inspection_rules.can_record_inspection_result,
        lambda w: (w.inspection,),
        lambda w: {},
    ),
    "intake": (staff_rules.is_intake_clerk, lambda w: (), lambda w: {}),
    "p-review": (staff_rules.is_plan_reviewer, lambda w: (), lambda w: {}),
    "enrol": (staff_rules.can_send_authenticator_links, lambda w: (), lambda w: {}),
    "t-deposit": (
        business_rules.can_deposit_to_trust_account,
        lambda w: (w.holder.pk,),
        lambda w: {},
    ),
    "unwaive": (staff_rules.can_reinstate_waived_fee, lambda w: (), lambda w: {}),
    "c-read": (
        review_rules.can_read_condition,
        lambda w: (SimpleNamespace(review=w.review),),
        lambda w: {},
    ),
}

POLICY_MODULES = (
    permit_rules,
    business_rules,
    application_rules,
    review_rules,
    inspection_rules,
    payment_rules,
    collection_rules,
    staff_rules,
)
# The template tag's name for each rule it offers.
TAG_NAMES = {check: name for name, check in RULES.items()}


def fresh(user):
    """The user as a new request sees them: nothing cached on the object between answers."""
    if not user.is_authenticated:
        return user
    return type(user).objects.get(pk=user.pk)


def answers(user, world: World) -> dict[str, bool]:
    # The application is the row's user's own (someone else's is a 404: tests/applications).
    world.application.applicant_id = user.pk
    for own in vars(world.own).values():
        setattr(own, "owner_id" if hasattr(own, "owner_id") else "user_id", user.pk)
    results = {}
    for column, (rule, args, kwargs) in CASES.items():
        results[column] = rule(fresh(user), *args(world), **kwargs(world))
    return results


def test_the_table_covers_every_rule_and_every_kind_of_user():
    assert list(CASES) == COLUMNS
    assert list(EXPECTED) == list(USERS)
    # Every rule of every module of the policy is a column, and every rule the template tag
    # offers is one of them.
    policy_rules = {
        value
        for module in POLICY_MODULES
        for name, value in vars(module).items()
        if name.startswith(("can_", "is_"))
        and callable(value)
        and value.__module__ == module.__name__
    }
    assert {rule for rule, _, _ in CASES.values()} == policy_rules
    assert set(RULES.values()) <= policy_rules


@pytest.mark.parametrize("kind", list(USERS))
def test_each_rule_for_each_kind_of_user(kind):
    world = make_world()
    user = USERS[kind](world)
    assert answers(user, world) == EXPECTED[kind]


@pytest.mark.parametrize("kind", [kind for kind in USERS if kind != "anonymous"])
def test_the_set_forms_agree_with_their_rules(kind):
    world = make_world()
    user = USERS[kind](world)
    permits = [world.permit, world.unissued, world.foreign]
    visible = set(scopes.permits_visible_to(fresh(user)).values_list("pk", flat=True))
    assert visible == {p.pk for p in permits if permit_rules.can_view_private(fresh(user), p)}
    # An application of the user's own, and another's: the list shows what the rule lets see.
    from applications.models import Application
    from applications.selectors import applications_visible_to
    from tests.applications.conftest import make_form

    if user.is_authenticated:
        template = make_form()
        mine = Application.objects.create(template=template, applicant=user)
        theirs = Application.objects.create(template=template, applicant=verified_user())
        listed = set(applications_visible_to(fresh(user)))
        for application in (mine, theirs):
            assert (application in listed) == application_rules.can_view_application(
                fresh(user), application
            )
    for permit_ids in (None, [world.permit.pk], [world.foreign.pk]):
        businesses = business_rules.trust_account_businesses(fresh(user), permit_ids=permit_ids)
        for business in (world.holder, world.other):
            assert (business.pk in businesses) == business_rules.can_use_trust_account(
                fresh(user), business.pk, permit_ids=permit_ids
            )


def render_may(user, source: str, **context) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load policy %}" + source).render(Context({"request": request, **context}))


# Where each kind of user lands after signing in (staff_landing): a superuser on admin's index,
# then the first of the intake queue, My reviews and My stops; contractors on their dashboard.
LANDINGS = {"staff": "admin", "reviewer": "reviews", "inspector": "stops", "clerk": "intake"}


@pytest.mark.parametrize("kind", list(USERS))
def test_each_kind_of_user_lands_on_their_work(kind):
    world = make_world()
    user = USERS[kind](world)
    assert staff_rules.staff_landing(fresh(user)) == LANDINGS.get(kind, "")


def test_staff_without_a_queue_of_their_own_land_on_admin():
    user = verified_user(is_staff=True)
    assert staff_rules.staff_landing(fresh(user)) == "admin"


@pytest.mark.parametrize("kind", ["Manage", "Pay", "contact", "anonymous"])
def test_the_template_tag_answers_as_the_policy(kind):
    world = make_world()
    user = USERS[kind](world)
    world.application.applicant_id = user.pk
    for own in vars(world.own).values():
        setattr(own, "owner_id" if hasattr(own, "owner_id") else "user_id", user.pk)
    for column, (rule, args, kwargs) in CASES.items():
        if kwargs(world) or rule not in TAG_NAMES:
            continue  # templates ask the trust rule of a business only
        arguments = dict(enumerate(args(world)))
        source = (
            f'{{% may "{TAG_NAMES[rule]}" '
            + " ".join(f"a{index}" for index in arguments)
            + " as ok %}{{ ok|yesno:'Y,-' }}"
        )
        shown = render_may(
            fresh(user), source, **{f"a{index}": value for index, value in arguments.items()}
        )
        assert shown == ("Y" if EXPECTED[kind][column] else "-"), column


def test_an_unknown_rule_name_fails_the_page():
    world = make_world()
    with pytest.raises(UnknownRule, match="no rule 'pay_fees'"):
        render_may(AnonymousUser(), '{% may "pay_fees" permit as ok %}', permit=world.permit)


def party_rows_by_orm(permit_ids: list[int]) -> set[tuple]:
    """The parties of the permits by their plain definition, through the ORM: what the
    hand-written query (permits.scopes.party_rows) must answer."""
    from permits.models import PermitLicense

    licenses = PermitLicense.objects.filter(permit_id__in=permit_ids)
    contacts = PermitContact.objects.filter(permit_id__in=permit_ids)
    return {(row.permit_id, row.license_id, None) for row in licenses} | {
        (row.permit_id, None, row.user_id) for row in contacts
    }


def test_the_parties_query_answers_as_the_orm_definition(django_assert_num_queries):
    from permits.scopes import party_rows

    world = make_world()
    second = LicenseFactory(holder=world.other)
    both = PermitFactory(licenses=[world.license, second])
    nobody = PermitFactory(licenses=[])
    contact, other_contact = verified_user(), verified_user()
    for user, kind in ((contact, "owner"), (other_contact, "applicant")):
        PermitContact.objects.create(permit=both, user=user, contact_type=kind)
    PermitContact.objects.create(permit=world.permit, user=contact, contact_type="owner")
    ids = [world.permit.pk, world.unissued.pk, world.foreign.pk, both.pk, nobody.pk]
    with django_assert_num_queries(1):
        rows = party_rows(ids)
    assert len(rows) == len(set(rows))
    assert set(rows) == party_rows_by_orm(ids)
    assert party_rows([]) == []
    assert set(party_rows([both.pk])) == party_rows_by_orm([both.pk])


@pytest.mark.parametrize("kind", list(USERS))
def test_the_payable_licenses_agree_with_can_pay(kind):
    """`payable_license_ids` ("Pay All Fees Due", the dashboard's button) answers can_pay for
    every permit at once: the permit's license is in it exactly when the user may pay it."""
    world = make_world()
    user = USERS[kind](world)
    payable = permit_rules.payable_license_ids(fresh(user))
    assert (world.license.pk in payable) is EXPECTED[kind]["pay"]


@pytest.mark.parametrize("kind", list(USERS))
def test_the_license_sets_of_the_acting_rules_agree_with_the_rules(kind):
    """The dashboard's "Needs your action" reads the permits a user may act on through these
    sets, all at once: the permit's license is in each exactly when the rule passes for the
    permit (and the business in `workable_business_ids` exactly when the user may work on
    their own application for it)."""
    world = make_world()
    user = fresh(USERS[kind](world))
    sets = {
        "upload": permit_rules.uploadable_license_ids(user),
        "apply": permit_rules.appliable_license_ids(user),
        "c-answer": permit_rules.condition_answerable_license_ids(user),
    }
    for column, licenses in sets.items():
        assert (world.license.pk in licenses) is EXPECTED[kind][column], column
    workable = application_rules.workable_business_ids(user)
    assert (world.holder.pk in workable) is EXPECTED[kind]["a-work"]


def test_the_filter_forms_of_the_staff_rules_pick_the_users_they_pass():
    """Services pick reviewers and inspectors, and address license reviewers, with the filter
    form of a "who" rule: it selects exactly the users the rule passes, for every kind of user."""
    from django.contrib.auth import get_user_model

    world = make_world()
    users = [USERS[kind](world) for kind in USERS if kind != "anonymous"]
    User = get_user_model()
    pairs = [
        (staff_rules.is_city_staff, staff_rules.city_staff_filter()),
        (staff_rules.is_inspector, staff_rules.inspector_filter()),
        (staff_rules.is_license_reviewer, staff_rules.license_reviewer_filter()),
        (staff_rules.can_decide_license_links, staff_rules.license_link_decider_filter()),
        (
            lambda user: review_rules.can_review_discipline(user, world.discipline),
            review_rules.reviewer_filter(world.discipline),
        ),
        (review_rules.is_review_supervisor, review_rules.review_supervisor_filter()),
    ]
    for rule, users_filter in pairs:
        picked = set(User.objects.filter(users_filter).values_list("pk", flat=True))
        passing = {user.pk for user in users if rule(fresh(user))}
        assert passing, "each rule passes somebody in the world"
        assert picked == passing
    # From another model, through its user.
    from inspections.models import Inspector

    inspectors = [Inspector.objects.get_or_create(user=user)[0] for user in users if user.is_staff]
    picked = set(Inspector.objects.filter(staff_rules.inspector_filter("user__")))
    assert picked == {i for i in inspectors if staff_rules.is_inspector(fresh(i.user))}


def test_a_page_of_permits_reads_its_parties_once(django_assert_num_queries):
    """prefetch_parties reads what is not read yet: asking again for a page already read (the
    rules of each row ask) costs no query."""
    world = make_world()
    permits = [world.permit, world.unissued, world.foreign]
    with django_assert_num_queries(1):
        scopes.prefetch_parties(permits)
    with django_assert_num_queries(0):
        scopes.prefetch_parties(permits)
        assert policy_facts.permit_parties(world.permit).license_ids == {world.license.pk}


def test_the_permits_app_provides_the_facts_the_policy_reads():
    scopes.provide_facts_to_policy()
    assert policy_facts._readers == {
        "prefetch_parties": scopes.prefetch_parties,
        "holders_of_all": scopes.holders_of_all,
    }
