"""private lookup allowances and acknowledgements

Revision ID: 0008_private_lookup
Revises: 0003_accounts
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_private_lookup'
down_revision = '0003_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('private_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('cohort_size', sa.Integer(), nullable=False),
    sa.Column('opposed_count', sa.Integer(), nullable=False),
    sa.Column('filter_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_private_acknowledgements_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_private_acknowledgements'))
    )
    with op.batch_alter_table('private_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_private_acknowledgements_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('private_allowances',
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('declared_cohort_size', sa.Integer(), nullable=False),
    sa.Column('evaluated_total', sa.Integer(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_private_allowances_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('warehouse_id', name=op.f('pk_private_allowances'))
    )
    op.create_table('private_evaluation_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('evaluated', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_private_evaluation_days_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_private_evaluation_days')),
    sa.UniqueConstraint('warehouse_id', 'day', name='uq_private_evaluation_days_warehouse_day')
    )


def downgrade() -> None:
    op.drop_table('private_evaluation_days')
    op.drop_table('private_allowances')
    with op.batch_alter_table('private_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_private_acknowledgements_warehouse_id'))

    op.drop_table('private_acknowledgements')
