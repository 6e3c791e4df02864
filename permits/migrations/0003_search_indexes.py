"""Indexes for search at city scale, on PostgreSQL only (SQLite keeps working without them).

- address search: a trigram GIN index, so `address_search LIKE '%OAK ST%'` is an index scan.
  Only GIN: with a GiST trigram index beside it, PostgreSQL prefers the GiST one, which is about
  ten times slower here.
- permit-number prefix (`LIKE 'RES24%'`): Django already makes a varchar_pattern_ops b-tree
  beside the unique index of `number` on PostgreSQL (permits_permit_number_..._like), which
  serves prefixes under any collation.
- the applied-date order and the license lookup have their b-trees already (0001).
"""

from django.db import migrations

from core.migration_steps import postgresql_only

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS permit_address_trgm ON permits_permit "
    "USING gin (address_search gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS permit_address_trgm",
]


class Migration(migrations.Migration):
    dependencies = [("permits", "0002_collections_contacts_documents")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
