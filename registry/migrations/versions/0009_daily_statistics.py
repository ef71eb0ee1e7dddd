"""daily statistics counters: opposition_statistics.month becomes day

Revision ID: 0009_daily_statistics
Revises: 0007_contact
Create Date: 2026-12-04

The public statistics now count changes of the effective opposition per Paris day, and publish
only closed days (``registry.statistics``). The counter table keeps its rows: the column is
renamed, and each monthly row (dated the first of its month) simply becomes a row of that first
day, which still sums into the right month. The unique constraint over (day, dimension, bucket)
keeps its name, ``uq_opposition_statistics_cell``, the one the model declares. The downgrade
folds the daily rows back into one row per month before renaming the column back.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_daily_statistics"
down_revision = "0007_contact"
branch_labels = None
depends_on = None

CONSTRAINT = "uq_opposition_statistics_cell"


def upgrade() -> None:
    # The unique constraint follows its column through the rename, name and all, on both engines.
    # (Dropping and re-creating it inside the batch would lose it on SQLite: the batch copy keeps
    # only the constraints whose columns it carries over under their old names.)
    with op.batch_alter_table("opposition_statistics", schema=None) as batch_op:
        batch_op.alter_column("month", new_column_name="day", existing_type=sa.Date(), existing_nullable=False)


def downgrade() -> None:
    connection = op.get_bind()
    table = sa.table(
        "opposition_statistics",
        sa.column("id", sa.Integer()), sa.column("day", sa.Date()), sa.column("dimension", sa.String()),
        sa.column("bucket", sa.String()), sa.column("count", sa.Integer()),
    )
    # Fold the days of each month into one row dated the first of the month, then rename back.
    rows = connection.execute(sa.select(table.c.day, table.c.dimension, table.c.bucket, table.c["count"])).all()
    monthly: dict[tuple, int] = {}
    for day, dimension, bucket, count in rows:
        key = (day.replace(day=1), dimension, bucket)
        monthly[key] = monthly.get(key, 0) + count
    connection.execute(sa.delete(table))
    if monthly:
        op.bulk_insert(table, [
            {"day": day, "dimension": dimension, "bucket": bucket, "count": count}
            for (day, dimension, bucket), count in sorted(monthly.items())
        ])
    with op.batch_alter_table("opposition_statistics", schema=None) as batch_op:
        batch_op.alter_column("day", new_column_name="month", existing_type=sa.Date(), existing_nullable=False)
