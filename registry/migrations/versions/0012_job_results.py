"""cohort jobs keep one results file: lookup_jobs.cleaned_bytes becomes results_bytes

Revision ID: 0012_job_results
Revises: 0011_sessions
Create Date: 2026-12-05

A finished job keeps only ``results.csv`` (line, status, reason: no identifier,
``registry.jobs``); the committed size of that file is ``results_bytes``, and the size of the
former invalid-lines file goes. The downgrade brings the column back at 0.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_job_results"
down_revision = "0011_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lookup_jobs") as batch_op:
        batch_op.alter_column("cleaned_bytes", new_column_name="results_bytes", existing_type=sa.BigInteger(),
                              existing_nullable=False)
        batch_op.drop_column("invalid_bytes")


def downgrade() -> None:
    with op.batch_alter_table("lookup_jobs") as batch_op:
        batch_op.alter_column("results_bytes", new_column_name="cleaned_bytes", existing_type=sa.BigInteger(),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("invalid_bytes", sa.BigInteger(), nullable=False, server_default="0"))
