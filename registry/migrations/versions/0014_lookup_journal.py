"""the lookups' journal files already written, so that replaying one after a crash is a no-op

Revision ID: 0014_lookup_journal
Revises: 0013_transparency_log
Create Date: 2026-12-05

``registry.lookup_journal``: each node appends its lookups' records to a local journal before
answering; the name of each journal file whose records are committed is kept here (30 days).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_lookup_journal"
down_revision = "0013_transparency_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_journal_batches",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lookup_journal_batches")),
    )


def downgrade() -> None:
    op.drop_table("lookup_journal_batches")
