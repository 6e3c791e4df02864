"""Plan review moves here from the applications app with its tables: the models enter this
app's state, each on the table it had (db_table); the database is not touched. Their content
types follow (permissions, the audit trail and the event record refer to them)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = [
    "reviewdiscipline",
    "reviewcycle",
    "review",
    "myreview",
    "reviewreason",
    "reviewcomment",
    "reviewcondition",
]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="applications", model__in=MODELS).update(
        app_label="reviews"
    )


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="reviews", model__in=MODELS).update(
        app_label="applications"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("applications", "0004_myreview_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("permits", "0014_fee_adjustment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ReviewReason',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('active', models.BooleanField(default=True)),
                    ],
                    options={
                        'db_table': 'applications_reviewreason',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Review',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('in_progress', 'In Progress'), ('approved', 'Approved'), ('approved_conditions', 'Approved with Conditions'), ('corrections_required', 'Corrections Required')], default='pending', max_length=30)),
                        ('due_on', models.DateField()),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'applications_review',
                        'ordering': ['cycle', 'discipline__position', 'discipline__name'],
                        'permissions': [('decide_any_review', 'Can start and decide any plan review')],
                    },
                ),
                migrations.CreateModel(
                    name='MyReview',
                    fields=[
                    ],
                    options={
                        'verbose_name': 'review',
                        'verbose_name_plural': 'my reviews',
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('reviews.review',),
                ),
                migrations.CreateModel(
                    name='ReviewCondition',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.TextField(max_length=2000)),
                        ('stage', models.CharField(choices=[('issuance', 'Before the permit is issued'), ('final', 'Before the final inspection')], default='final', max_length=10)),
                        ('met_at', models.DateTimeField(blank=True, null=True)),
                        ('met_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='conditions', to='reviews.review')),
                    ],
                    options={
                        'db_table': 'applications_reviewcondition',
                        'ordering': ['review', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewCycle',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField()),
                        ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_at', models.DateTimeField(blank=True, help_text='When its last review was decided.', null=True)),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_cycles', to='applications.application')),
                    ],
                    options={
                        'db_table': 'applications_reviewcycle',
                        'ordering': ['application', 'number'],
                    },
                ),
                migrations.AddField(
                    model_name='review',
                    name='cycle',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='reviews.reviewcycle'),
                ),
                migrations.CreateModel(
                    name='ReviewDiscipline',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('target_days', models.PositiveSmallIntegerField(default=10, help_text="From the cycle's start to a decision.", verbose_name='target (business days)')),
                        ('active', models.BooleanField(default=True)),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('group', models.ForeignKey(help_text='Its reviewers: staff members of this group.', on_delete=django.db.models.deletion.PROTECT, related_name='review_disciplines', to='auth.group')),
                        ('permit_types', models.ManyToManyField(blank=True, help_text='The permit types whose applications this discipline reviews.', related_name='review_disciplines', to='permits.permittype')),
                    ],
                    options={
                        'db_table': 'applications_reviewdiscipline',
                        'ordering': ['position', 'name'],
                    },
                ),
                migrations.AddField(
                    model_name='review',
                    name='discipline',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='reviews.reviewdiscipline'),
                ),
                migrations.CreateModel(
                    name='ReviewComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('response', 'Response required'), ('info', 'For information')], default='response', max_length=10)),
                        ('reference', models.CharField(blank=True, help_text='A sheet or page (A-201, page 3), or a question.', max_length=100, verbose_name='where')),
                        ('text', models.TextField(max_length=4000)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('response', models.TextField(blank=True, max_length=4000)),
                        ('responded_at', models.DateTimeField(blank=True, null=True)),
                        ('responded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='comments', to='reviews.review')),
                        ('reason', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reviews.reviewreason')),
                    ],
                    options={
                        'db_table': 'applications_reviewcomment',
                        'ordering': ['review', 'id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='reviewcycle',
                    constraint=models.UniqueConstraint(fields=('application', 'number'), name='review_cycle_number_unique', violation_error_message='This application already has a cycle numbered so.'),
                ),
                migrations.AddIndex(
                    model_name='review',
                    index=models.Index(fields=['reviewer', 'status'], name='review_reviewer_status'),
                ),
                migrations.AddConstraint(
                    model_name='review',
                    constraint=models.UniqueConstraint(fields=('cycle', 'discipline'), name='review_discipline_once_per_cycle', violation_error_message='This cycle already has a review for this discipline.'),
                ),
    ]
        ),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
