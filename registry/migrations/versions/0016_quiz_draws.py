"""the questions drawn for a professional's quiz attempt under way, and when it started

Revision ID: 0016_quiz_draws
Revises: 0015_contact_inbox
Create Date: 2026-12-05

Each attempt draws its questions from a larger bank; the draw is kept on the professional's
progress row until the attempt is recorded, so that reloading the quiz shows the same questions.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_quiz_draws"
down_revision = "0015_contact_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("module_progress", sa.Column("quiz_draw", sa.Text(), nullable=True))
    op.add_column("module_progress", sa.Column("quiz_started_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("module_progress") as batch:
        batch.drop_column("quiz_started_at")
        batch.drop_column("quiz_draw")
