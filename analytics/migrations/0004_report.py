# Reports move from tasks to analytics with their table and rows: only the state moves
# here (the model adopts `tasks_report`); tasks 0003 drops it from the tasks state.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_webhook_delivery_plural'),
        # The table is created there.
        ('tasks', '0002_report'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Report',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(choices=[('content', 'Content'), ('engagement', 'Engagement'), ('users', 'Users')], max_length=16)),
                        ('format', models.CharField(choices=[('csv', 'CSV'), ('json', 'JSON')], max_length=8)),
                        ('start', models.DateField()),
                        ('end', models.DateField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('completed', 'Completed'), ('failed', 'Failed')], db_index=True, default='pending', max_length=16)),
                        ('task_id', models.UUIDField(blank=True, null=True)),
                        ('file', models.FileField(blank=True, max_length=300, upload_to='reports/%Y/%m/')),
                        ('row_count', models.PositiveIntegerField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'tasks_report',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
