"""data permits, their holders and exceptions, and the people looked up under each

Revision ID: 0017_permits
Revises: 0016_quiz_draws
Create Date: 2026-12-05

``registry.permits``: the register of data permits (EHDS art. 68) with an optional
public-interest exception (art. 71(4)); which warehouses hold each; ``permit_applications``
notes, by keyed hash, each person found opposed by a lookup under a permit (and whether the
exception set their opposition aside). A cohort job may name the permit it serves.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_permits"
down_revision = "0016_quiz_draws"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("issuing_body", sa.String(length=200), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("exception_basis", sa.Text(), nullable=True),
        sa.Column("exception_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permits")),
        sa.UniqueConstraint("reference", name=op.f("uq_permits_reference")),
    )
    op.create_table(
        "permit_holders",
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["permit_id"], ["permits.id"], name=op.f("fk_permit_holders_permit_id_permits")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_permit_holders_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("permit_id", "warehouse_id", name=op.f("pk_permit_holders")),
    )
    op.create_index(op.f("ix_permit_holders_warehouse_id"), "permit_holders", ["warehouse_id"])
    op.create_table(
        "permit_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("purpose_bit", sa.Integer(), nullable=False),
        sa.Column("exception", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["permit_id"], ["permits.id"],
                                name=op.f("fk_permit_applications_permit_id_permits")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_permit_applications_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_applications")),
    )
    op.create_index(op.f("ix_permit_applications_permit_id"), "permit_applications", ["permit_id"])
    op.create_index("uq_permit_applications_key", "permit_applications",
                    ["id_hash", "permit_id", "warehouse_id", "purpose_bit"], unique=True)
    with op.batch_alter_table("lookup_jobs") as batch:
        batch.add_column(sa.Column("permit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_lookup_jobs_permit_id_permits"), "permits", ["permit_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("lookup_jobs") as batch:
        batch.drop_constraint(batch.f("fk_lookup_jobs_permit_id_permits"), type_="foreignkey")
        batch.drop_column("permit_id")
    op.drop_index("uq_permit_applications_key", table_name="permit_applications")
    op.drop_index(op.f("ix_permit_applications_permit_id"), table_name="permit_applications")
    op.drop_table("permit_applications")
    op.drop_index(op.f("ix_permit_holders_warehouse_id"), table_name="permit_holders")
    op.drop_table("permit_holders")
    op.drop_table("permits")
