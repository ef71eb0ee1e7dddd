"""literacy modules: quiz item aggregates, professionals, progress, attempts, attestations

Revision ID: 0005_literacy
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = "0005_literacy"
down_revision = "0004_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('professionals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('professional_identifier', sa.String(length=64), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('profession', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_professionals')),
    sa.UniqueConstraint('issuer', 'subject', name='uq_professionals_issuer_subject')
    )
    op.create_table('quiz_item_aggregates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_slug', sa.String(length=64), nullable=False),
    sa.Column('module_version', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('sum_credit', sa.Float(), nullable=False),
    sa.Column('sum_credit_sq', sa.Float(), nullable=False),
    sa.Column('sum_rest', sa.Float(), nullable=False),
    sa.Column('sum_rest_sq', sa.Float(), nullable=False),
    sa.Column('sum_credit_rest', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_item_aggregates')),
    sa.UniqueConstraint('module_slug', 'module_version', 'question_id', name='uq_quiz_item_aggregates_question')
    )
    op.create_table('module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('module_slug', sa.String(length=64), nullable=False),
    sa.Column('module_version', sa.Integer(), nullable=False),
    sa.Column('lessons_seen', sa.Text(), nullable=False),
    sa.Column('pre_test_score', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_module_progress_professional_id_professionals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_progress')),
    sa.UniqueConstraint('professional_id', 'module_slug', 'module_version', name='uq_module_progress_module')
    )
    op.create_index(op.f('ix_module_progress_professional_id'), 'module_progress', ['professional_id'], unique=False)
    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('module_slug', sa.String(length=64), nullable=False),
    sa.Column('module_version', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_quiz_attempts_professional_id_professionals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts'))
    )
    op.create_index(op.f('ix_quiz_attempts_professional_id'), 'quiz_attempts', ['professional_id'], unique=False)
    op.create_table('attestations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('holder_name', sa.String(length=400), nullable=False),
    sa.Column('professional_identifier', sa.String(length=64), nullable=False),
    sa.Column('module_slug', sa.String(length=64), nullable=False),
    sa.Column('module_version', sa.Integer(), nullable=False),
    sa.Column('module_title', sa.String(length=300), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_attestations_attempt_id_quiz_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attestations')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_attestations_attempt_id')),
    sa.UniqueConstraint('code', name=op.f('uq_attestations_code'))
    )


def downgrade() -> None:
    op.drop_table("attestations")
    op.drop_index(op.f("ix_quiz_attempts_professional_id"), table_name="quiz_attempts")
    op.drop_table("quiz_attempts")
    op.drop_index(op.f("ix_module_progress_professional_id"), table_name="module_progress")
    op.drop_table("module_progress")
    op.drop_table("quiz_item_aggregates")
    op.drop_table("professionals")
