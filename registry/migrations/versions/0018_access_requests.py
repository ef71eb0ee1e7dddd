"""warehouses' requests for API access, and their one-time credential links

Revision ID: 0018_access_requests
Revises: 0017_permits
Create Date: 2026-12-05

``registry.access_requests``: a request from the public developer pages (organisation, SIRET,
purposes, cohort size; the contact and data protection officer's addresses sealed with the
contact key), its review by a registry administrator, and the SHA-256 of the single-use link
that creates the warehouse client.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_access_requests"
down_revision = "0017_permits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("contact_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("dpo_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("purposes", sa.String(length=200), nullable=False),
        sa.Column("cohort_size", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("granted_scope", sa.String(length=100), nullable=True),
        sa.Column("granted_cohort_size", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("link_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("link_expires_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("client_id", sa.String(length=48), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_access_requests_reference")),
        sa.UniqueConstraint("link_hash", name=op.f("uq_access_requests_link_hash")),
    )
    op.create_index(op.f("ix_access_requests_expires_at"), "access_requests", ["expires_at"])
    op.create_index(op.f("ix_access_requests_status"), "access_requests", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_requests_status"), table_name="access_requests")
    op.drop_index(op.f("ix_access_requests_expires_at"), table_name="access_requests")
    op.drop_table("access_requests")
