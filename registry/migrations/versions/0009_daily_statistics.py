"""daily statistics counters (placeholder, filled in by the statistics change)

Revision ID: 0009_daily_statistics
Revises: 0007_contact
Create Date: 2026-12-04
"""

revision = "0009_daily_statistics"
down_revision = "0007_contact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
