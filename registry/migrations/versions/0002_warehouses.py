"""warehouse API: clients, access tokens, cohort jobs, transparency of applied oppositions

Revision ID: 0002_warehouses
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_warehouses"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("secret_rotated_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("client_id", name=op.f("uq_warehouses_client_id")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_api_tokens_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_warehouse_id"), "api_tokens", ["warehouse_id"], unique=False)
    op.create_table(
        "lookup_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("purpose_bit", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input_bytes", sa.BigInteger(), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("lines_done", sa.BigInteger(), nullable=False),
        sa.Column("kept", sa.BigInteger(), nullable=False),
        sa.Column("opposed", sa.BigInteger(), nullable=False),
        sa.Column("invalid", sa.BigInteger(), nullable=False),
        sa.Column("cleaned_bytes", sa.BigInteger(), nullable=False),
        sa.Column("invalid_bytes", sa.BigInteger(), nullable=False),
        sa.Column("header_seen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_lookup_jobs_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_jobs")),
        sa.UniqueConstraint("public_id", name=op.f("uq_lookup_jobs_public_id")),
    )
    op.create_index(op.f("ix_lookup_jobs_warehouse_id"), "lookup_jobs", ["warehouse_id"], unique=False)
    op.create_index(op.f("ix_lookup_jobs_status"), "lookup_jobs", ["status"], unique=False)
    op.create_table(
        "oppositions_applied",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("purpose_bit", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_oppositions_applied_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oppositions_applied")),
    )
    # Unique: the upsert of record_applications relies on it (ON CONFLICT on these columns).
    op.create_index("uq_oppositions_applied_key", "oppositions_applied",
                    ["id_hash", "warehouse_id", "purpose_bit"], unique=True)
    op.create_index(op.f("ix_oppositions_applied_warehouse_id"), "oppositions_applied", ["warehouse_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oppositions_applied_warehouse_id"), table_name="oppositions_applied")
    op.drop_index("uq_oppositions_applied_key", table_name="oppositions_applied")
    op.drop_table("oppositions_applied")
    op.drop_index(op.f("ix_lookup_jobs_status"), table_name="lookup_jobs")
    op.drop_index(op.f("ix_lookup_jobs_warehouse_id"), table_name="lookup_jobs")
    op.drop_table("lookup_jobs")
    op.drop_index(op.f("ix_api_tokens_warehouse_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("warehouses")
