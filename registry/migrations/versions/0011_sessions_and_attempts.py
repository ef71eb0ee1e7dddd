"""server-side web sessions; staff sign-in attempts reserved before they are checked

Revision ID: 0011_sessions
Revises: 0010_claims
Create Date: 2026-12-05

``web_sessions`` holds each browser session, encrypted with a key only its cookie carries
(``portal.sessions``). ``staff_accounts`` gains ``session_generation`` (raised by a password or
TOTP reset, an unlock or a disable: every session signed in before it ends) and
``next_attempt_at`` (when the next sign-in attempt may be checked, set atomically when an
attempt is reserved, ``registry.staff.reserve_attempt``).
"""

import sqlalchemy as sa
from alembic import op


revision = "0011_sessions"
down_revision = "0010_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    with op.batch_alter_table("staff_accounts") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("session_generation")
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_table("web_sessions")
