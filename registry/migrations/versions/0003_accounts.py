"""citizen accounts, keyed by (issuer, sub), and the subjects they filed for

Revision ID: 0003_accounts
Revises: 0002_warehouses
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = "0003_accounts"
down_revision = "0002_warehouses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("issuer", "subject", name="uq_accounts_issuer_subject"),
    )
    op.create_table(
        "account_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("proxy_for", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_account_subjects_account_id_accounts")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_account_subjects_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_subjects")),
        sa.UniqueConstraint("account_id", "subject_id", name="uq_account_subjects_account_subject"),
    )
    op.create_index("ix_account_subjects_account_id", "account_subjects", ["account_id"])
    op.create_index("ix_account_subjects_subject_id", "account_subjects", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_account_subjects_subject_id", table_name="account_subjects")
    op.drop_index("ix_account_subjects_account_id", table_name="account_subjects")
    op.drop_table("account_subjects")
    op.drop_table("accounts")
