"""awareness campaigns, placements, daily reach counters, national daily filing counter (kept by registry.daily_filings)

Revision ID: 0006_campaigns
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_campaigns"
down_revision = "0005_literacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("slug", name=op.f("uq_campaigns_slug")),
    )
    op.create_table(
        "campaign_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=2), nullable=False),
        sa.Column("declared_reach", sa.Integer(), nullable=True),
        sa.Column("declared_reach_note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_placements_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_placements")),
        sa.UniqueConstraint("code", name=op.f("uq_campaign_placements_code")),
    )
    op.create_index(op.f("ix_campaign_placements_campaign_id"), "campaign_placements", ["campaign_id"])
    op.create_table(
        "campaign_reach_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["placement_id"], ["campaign_placements.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_reach_counters_placement_id_campaign_placements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_reach_counters")),
        sa.UniqueConstraint("placement_id", "day", "step", name="uq_campaign_reach_counters_cell"),
    )
    op.create_index(op.f("ix_campaign_reach_counters_day"), "campaign_reach_counters", ["day"])
    op.create_table(
        "daily_filing_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_daily_filing_counters")),
    )


def downgrade() -> None:
    op.drop_table("daily_filing_counters")
    op.drop_index(op.f("ix_campaign_reach_counters_day"), table_name="campaign_reach_counters")
    op.drop_table("campaign_reach_counters")
    op.drop_index(op.f("ix_campaign_placements_campaign_id"), table_name="campaign_placements")
    op.drop_table("campaign_placements")
    op.drop_table("campaigns")
