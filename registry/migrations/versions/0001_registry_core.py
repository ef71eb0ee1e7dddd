"""registry core: subjects, opposition versions, audit events

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_events_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)

    op.create_table('subjects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('lookup_key', sa.BigInteger(), nullable=False),
    sa.Column('hash_key_id', sa.String(length=40), nullable=False),
    sa.Column('oprf_output', sa.LargeBinary(length=64), nullable=False),
    sa.Column('oprf_key_id', sa.String(length=40), nullable=False),
    sa.Column('opposed_purposes', sa.Integer(), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_subjects_id_hash')),
    sa.UniqueConstraint('oprf_output', name=op.f('uq_subjects_oprf_output'))
    )
    op.create_index('ix_subjects_lookup', 'subjects', ['lookup_key', 'opposed_purposes', 'id_hash'], unique=False)
    op.create_table('opposition_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('purposes_mask', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=16), nullable=False),
    sa.Column('proxy_for', sa.String(length=24), nullable=True),
    sa.Column('filed_by', sa.String(length=64), nullable=True),
    sa.Column('effective_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('receipt_reference', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_opposition_versions_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opposition_versions')),
    sa.UniqueConstraint('receipt_reference', name=op.f('uq_opposition_versions_receipt_reference')),
    sa.UniqueConstraint('subject_id', 'version', name='uq_opposition_versions_subject_version')
    )
    with op.batch_alter_table('opposition_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opposition_versions_subject_id'), ['subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('opposition_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opposition_versions_subject_id'))

    op.drop_table('opposition_versions')
    op.drop_index('ix_subjects_lookup', table_name='subjects')
    op.drop_table('subjects')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
