"""The policy: the one place that answers "may this user ...?". One function per question, one
module per subject; views, services, admin and templates (`{% may %}`, permits.templatetags.policy)
ask it and never derive the answer themselves. Nothing here writes, and nothing here is a query
scope ("the permits this user may see" is permits.scopes, which agrees with these rules permit by
permit, tests/policy/test_rules.py).

- `policy.permits`: a permit's private details, its fees, inspections, documents and contacts;
- `policy.applications`: online applications, before they are permits;
- `policy.reviews`: plan review (city staff);
- `policy.businesses`: a business's members, roles, PIN, trust account and license links;
- `policy.payments`: a payment's receipt and the trust ledger's entries (staff);
- `policy.collections`: a user's collections of permits;
- `policy.notifications`: a user's notifications in the portal;
- `policy.staff`: who is city staff, who inspects, who reviews license links, what admin shows.

Everything a contractor may do needs a verified email address first. A user then acts for a
permit through the permit's license professional:
- as a registered contractor for one of its licenses (an approved license link), or
- as a member of a business that holds one of its licenses ("a holder"), with the roles the
  business's managers granted (Manage brings every role).

Nobody else passes a contractor's rule: not anonymous visitors, not a user whose address is
unverified, not a pending or rejected license link, not a role at another business. A license
that is suspended, revoked or expired keeps its history visible and its fees payable, but acts on
nothing. Staff act in Django admin, whose model permissions decide there (asked here, never as
`has_perm("...")` strings elsewhere); being staff passes no contractor's rule (a staff member who
is also a contractor passes as that contractor).

Layering: the policy sits above `licenses` (whose `licenses.scope` holds the user's facts) and
below `permits`. What it needs to know of a permit (its parties) the permits app provides at
start-up (`policy.facts.provide_permit_facts`); of applications, reviews, inspections and
payments it reads only the object's own fields (applicant, business, reviewer, payer).
"""
