"""`{% may %}`: the one template tag for every rule of the policy (the `policy` package). Templates
ask it; they never work a rule out from roles, statuses or flags themselves.

    {% load policy %}
    {% may "pay" permit as can_pay %}{% if can_pay %}...{% endif %}
    {% may "cancel_inspection" inspection as may_cancel %}
    {% may "manage_business" contractor.pk as is_manager %}

The user is the request's. A rule name that is not in RULES raises when the template renders,
so a misspelt rule fails its page's tests instead of quietly hiding (or showing) something.
"""

from collections.abc import Callable

from django import template

from policy import (
    applications,
    businesses,
    collections,
    inspections,
    payments,
    permits,
    reviews,
    staff,
)

register = template.Library()

RULES: dict[str, Callable[..., bool]] = {
    "view_private": permits.can_view_private,
    "pay": permits.can_pay,
    "request_inspection": permits.can_request_inspection,
    "cancel_inspection": permits.can_cancel_inspection,
    "upload": permits.can_upload,
    "apply": permits.can_apply,
    "answer_condition": permits.can_answer_condition,
    "join_business": businesses.can_join_business,
    "view_business": businesses.can_view_business,
    "manage_business": businesses.can_manage_business,
    "see_pin": businesses.can_see_pin,
    "use_trust_account": businesses.can_use_trust_account,
    "deposit_to_trust_account": businesses.can_deposit_to_trust_account,
    "start_application": applications.can_start_application,
    "view_application": applications.can_view_application,
    "work_on_application": applications.can_work_on_application,
    "upload_to_application": applications.can_upload_to_application,
    "view_payment": payments.can_view_payment,
    "remove_member": businesses.can_remove_member,
    "use_collection": collections.can_use_collection,
    "view_inspection": inspections.can_view_inspection,
    "city_staff": staff.is_city_staff,
    "inspector": staff.is_inspector,
    "intake_clerk": staff.is_intake_clerk,
    "plan_reviewer": staff.is_plan_reviewer,
    "record_inspection_result": inspections.can_record_inspection_result,
    "decide_review": reviews.can_decide_review,
    "reassign_review": reviews.can_reassign_review,
}


class UnknownRule(template.TemplateSyntaxError):
    pass


@register.simple_tag(takes_context=True)
def may(context, rule: str, *args, **kwargs) -> bool:
    """Whether the request's user passes `rule` for the objects given (a permit, an
    inspection, a business's id), as the policy function of that name answers."""
    try:
        check = RULES[rule]
    except KeyError:
        raise UnknownRule(
            f"{{% may %}} knows no rule {rule!r}; the rules are: {', '.join(RULES)}."
        ) from None
    return check(context["request"].user, *args, **kwargs)
