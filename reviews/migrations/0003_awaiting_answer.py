import django.db.models.deletion
from django.db import migrations, models

from core.migration_steps import postgresql_only

# The rows AwaitingAnswer (see the model) should hold for one permit: each license professional
# of a permit applied for online, once for each answer its contractor owes plan review. The
# statuses and the reviews' rules are the portal's (portal.actions, and reviews.selectors' ORM
# definitions: tests/portal/test_dashboard_paths.py holds them together).
WANTED = """
SELECT pl.permit_id, pl.license_id, waiting.kind, pl.applied_on
  FROM permits_permitlicense pl
  JOIN applications_application a ON a.permit_id = pl.permit_id
  JOIN LATERAL (
      SELECT CAST('corrections' AS varchar) AS kind
       WHERE pl.status = 'in_review' AND EXISTS (
             SELECT 1 FROM applications_reviewcycle c
              WHERE c.application_id = a.id AND c.decided_at IS NOT NULL
                AND EXISTS (SELECT 1 FROM applications_review r
                             WHERE r.cycle_id = c.id AND r.status = 'corrections_required')
                AND NOT EXISTS (SELECT 1 FROM applications_reviewcycle n
                                 WHERE n.application_id = a.id AND n.number > c.number))
      UNION ALL
      SELECT 'conditions'
       WHERE pl.status IN ('pending_approval', 'issued') AND EXISTS (
             SELECT 1 FROM applications_reviewcondition k
               JOIN applications_review r ON r.id = k.review_id
               JOIN applications_reviewcycle c ON c.id = r.cycle_id
              WHERE c.application_id = a.id AND k.met_at IS NULL AND k.answered_at IS NULL)
  ) waiting ON true
 WHERE pl.permit_id = target
"""
# Every permit's at once (the migration; bench/generate.py after its load, triggers off): the
# same rows, found the other way round, from the applications that wait (hashed), not permit by
# permit (tests/reviews/test_awaiting_answer.py holds the two to each other).
FILL = """
INSERT INTO reviews_awaitinganswer (permit_id, license_id, kind, applied_on)
SELECT pl.permit_id, pl.license_id, 'corrections', pl.applied_on
  FROM permits_permitlicense pl
  JOIN applications_application a ON a.permit_id = pl.permit_id
 WHERE pl.status = 'in_review' AND a.id IN (
       SELECT c.application_id FROM applications_reviewcycle c
        WHERE c.decided_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM applications_review r
                       WHERE r.cycle_id = c.id AND r.status = 'corrections_required')
          AND NOT EXISTS (SELECT 1 FROM applications_reviewcycle n
                           WHERE n.application_id = c.application_id AND n.number > c.number))
UNION ALL
SELECT pl.permit_id, pl.license_id, 'conditions', pl.applied_on
  FROM permits_permitlicense pl
  JOIN applications_application a ON a.permit_id = pl.permit_id
 WHERE pl.status IN ('pending_approval', 'issued') AND a.id IN (
       SELECT c.application_id FROM applications_reviewcondition k
         JOIN applications_review r ON r.id = k.review_id
         JOIN applications_reviewcycle c ON c.id = r.cycle_id
        WHERE k.met_at IS NULL AND k.answered_at IS NULL)
ON CONFLICT (permit_id, license_id, kind) DO NOTHING
"""

POSTGRESQL = [
    # A permit's rows made again from what plan review holds now: those it should no longer
    # have deleted, those it lacks added. Rows that stay are not touched, so the usual change
    # (a review moved while the cycle is still open, a permit with no application) takes no row
    # lock, and two reviewers deciding one cycle at once do not wait for each other here. Two
    # transactions changing one permit's plan review at the same instant can each miss the
    # other's change (as every trigger-kept copy here may): the next change makes it right.
    f"""
    CREATE OR REPLACE FUNCTION reviews_awaiting_refresh(target bigint) RETURNS void AS $$
    BEGIN
        IF target IS NULL THEN
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM applications_application WHERE permit_id = target) THEN
            DELETE FROM reviews_awaitinganswer WHERE permit_id = target;
            RETURN;
        END IF;
        DELETE FROM reviews_awaitinganswer w
         WHERE w.permit_id = target
           AND NOT EXISTS (
               SELECT 1 FROM ({WANTED}) x
                WHERE x.license_id = w.license_id AND x.kind = w.kind
                  AND x.applied_on IS NOT DISTINCT FROM w.applied_on);
        INSERT INTO reviews_awaitinganswer (permit_id, license_id, kind, applied_on)
        {WANTED}
        ON CONFLICT (permit_id, license_id, kind) DO NOTHING;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION reviews_awaiting_refresh_both(old_permit bigint, new_permit bigint)
    RETURNS void AS $$
    BEGIN
        PERFORM reviews_awaiting_refresh(old_permit);
        IF new_permit IS DISTINCT FROM old_permit THEN
            PERFORM reviews_awaiting_refresh(new_permit);
        END IF;
    END;
    $$ LANGUAGE plpgsql
    """,
    # The permit of a cycle's, a review's or a condition's application, before and after.
    """
    CREATE OR REPLACE FUNCTION reviews_awaiting_for_cycle() RETURNS trigger AS $$
    BEGIN
        PERFORM reviews_awaiting_refresh_both(
            CASE WHEN TG_OP <> 'INSERT' THEN
                (SELECT permit_id FROM applications_application WHERE id = OLD.application_id)
            END,
            CASE WHEN TG_OP <> 'DELETE' THEN
                (SELECT permit_id FROM applications_application WHERE id = NEW.application_id)
            END);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION reviews_awaiting_for_review() RETURNS trigger AS $$
    BEGIN
        PERFORM reviews_awaiting_refresh_both(
            CASE WHEN TG_OP <> 'INSERT' THEN
                (SELECT a.permit_id FROM applications_reviewcycle c
                   JOIN applications_application a ON a.id = c.application_id
                  WHERE c.id = OLD.cycle_id)
            END,
            CASE WHEN TG_OP <> 'DELETE' THEN
                (SELECT a.permit_id FROM applications_reviewcycle c
                   JOIN applications_application a ON a.id = c.application_id
                  WHERE c.id = NEW.cycle_id)
            END);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION reviews_awaiting_for_condition() RETURNS trigger AS $$
    BEGIN
        PERFORM reviews_awaiting_refresh_both(
            CASE WHEN TG_OP <> 'INSERT' THEN
                (SELECT a.permit_id FROM applications_review r
                   JOIN applications_reviewcycle c ON c.id = r.cycle_id
                   JOIN applications_application a ON a.id = c.application_id
                  WHERE r.id = OLD.review_id)
            END,
            CASE WHEN TG_OP <> 'DELETE' THEN
                (SELECT a.permit_id FROM applications_review r
                   JOIN applications_reviewcycle c ON c.id = r.cycle_id
                   JOIN applications_application a ON a.id = c.application_id
                  WHERE r.id = NEW.review_id)
            END);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    # A permit's license professionals and their copies of its status and applied date, and an
    # application's permit.
    """
    CREATE OR REPLACE FUNCTION reviews_awaiting_for_permit() RETURNS trigger AS $$
    BEGIN
        PERFORM reviews_awaiting_refresh_both(
            CASE WHEN TG_OP <> 'INSERT' THEN OLD.permit_id END,
            CASE WHEN TG_OP <> 'DELETE' THEN NEW.permit_id END);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_cycle
        AFTER INSERT OR DELETE OR UPDATE OF decided_at, number, application_id
        ON applications_reviewcycle
        FOR EACH ROW EXECUTE FUNCTION reviews_awaiting_for_cycle()
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_review
        AFTER INSERT OR DELETE OR UPDATE OF status, cycle_id ON applications_review
        FOR EACH ROW EXECUTE FUNCTION reviews_awaiting_for_review()
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_condition
        AFTER INSERT OR DELETE OR UPDATE OF met_at, answered_at, review_id
        ON applications_reviewcondition
        FOR EACH ROW EXECUTE FUNCTION reviews_awaiting_for_condition()
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_permit_license
        AFTER INSERT OR DELETE ON permits_permitlicense
        FOR EACH ROW EXECUTE FUNCTION reviews_awaiting_for_permit()
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_permit_license_change
        AFTER UPDATE ON permits_permitlicense
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.applied_on IS DISTINCT FROM NEW.applied_on
              OR OLD.permit_id IS DISTINCT FROM NEW.permit_id
              OR OLD.license_id IS DISTINCT FROM NEW.license_id)
        EXECUTE FUNCTION reviews_awaiting_for_permit()
    """,
    """
    CREATE TRIGGER reviews_awaiting_for_application
        AFTER DELETE OR UPDATE OF permit_id ON applications_application
        FOR EACH ROW EXECUTE FUNCTION reviews_awaiting_for_permit()
    """,
    FILL,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_application ON applications_application",
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_permit_license_change ON permits_permitlicense",
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_permit_license ON permits_permitlicense",
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_condition ON applications_reviewcondition",
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_review ON applications_review",
    "DROP TRIGGER IF EXISTS reviews_awaiting_for_cycle ON applications_reviewcycle",
    "DROP FUNCTION IF EXISTS reviews_awaiting_for_permit()",
    "DROP FUNCTION IF EXISTS reviews_awaiting_for_condition()",
    "DROP FUNCTION IF EXISTS reviews_awaiting_for_review()",
    "DROP FUNCTION IF EXISTS reviews_awaiting_for_cycle()",
    "DROP FUNCTION IF EXISTS reviews_awaiting_refresh_both(bigint, bigint)",
    "DROP FUNCTION IF EXISTS reviews_awaiting_refresh(bigint)",
]


class Migration(migrations.Migration):
    """AwaitingAnswer, and the triggers that keep it on PostgreSQL (the dashboard's "Needs your
    action")."""

    dependencies = [
        ("licenses", "0003_constraint_messages"),
        ("permits", "0019_permitdocument_kind"),
        ("reviews", "0002_condition_answer"),
    ]

    operations = [
        migrations.CreateModel(
            name="AwaitingAnswer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("corrections", "Corrections asked"),
                            ("conditions", "A condition of approval to answer"),
                        ],
                        max_length=12,
                    ),
                ),
                ("applied_on", models.DateField(null=True)),
                (
                    "license",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="licenses.license",
                    ),
                ),
                (
                    "permit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="permits.permit",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["license", "kind", "-applied_on", "-permit"],
                        name="awaitinganswer_by_license",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("permit", "license", "kind"),
                        name="awaitinganswer_unique",
                        violation_error_message="This permit already waits for this answer.",
                    )
                ],
            },
        ),
        postgresql_only(POSTGRESQL, POSTGRESQL_DROP),
    ]
