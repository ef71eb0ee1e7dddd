"""Tables of the literacy modules.

Citizens are anonymous: nothing here holds a row about a citizen. Their answers only add to
``QuizItemAggregate``, sums per question from which facility and discrimination can be computed
without ever keeping who answered what. Professionals learn under their Pro Santé Connect account:
their professional identifier and name are professional data, kept because the attestation and the
continuing-education export must carry them. No patient data and no IP address appear anywhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models import Base, UTCDateTime, utcnow


class QuizItemAggregate(Base):
    """Running sums for one question of one module version, over every completed quiz.

    ``credit`` is the question's score (0-1); ``rest`` the score on the quiz's other questions.
    From the five sums the corrected item-total correlation (discrimination) follows exactly.
    """

    __tablename__ = "quiz_item_aggregates"
    __table_args__ = (UniqueConstraint("module_slug", "module_version", "question_id",
                                       name="uq_quiz_item_aggregates_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module_slug: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(40))
    answers: Mapped[int] = mapped_column(Integer, default=0)
    sum_credit: Mapped[float] = mapped_column(Float, default=0.0)
    sum_credit_sq: Mapped[float] = mapped_column(Float, default=0.0)
    sum_rest: Mapped[float] = mapped_column(Float, default=0.0)
    sum_rest_sq: Mapped[float] = mapped_column(Float, default=0.0)
    sum_credit_rest: Mapped[float] = mapped_column(Float, default=0.0)


class Professional(Base):
    """A health professional known by (issuer, subject) from Pro Santé Connect."""

    __tablename__ = "professionals"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_professionals_issuer_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    professional_identifier: Mapped[str] = mapped_column(String(64))  # SubjectNameID (RPPS/ADELI based)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class ModuleProgress(Base):
    """Where a professional is in one module version: lessons read, pre-test score, and the
    questions drawn for the attempt under way (``quiz_draw``, a JSON list of ids) with its start."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("professional_id", "module_slug", "module_version",
                                       name="uq_module_progress_module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    module_slug: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column(Integer)
    lessons_seen: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of lesson ids
    pre_test_score: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    quiz_draw: Mapped[str | None] = mapped_column(Text)
    quiz_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(Base):
    """One completed quiz by a professional; ``answers`` is the JSON of the choices made."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    module_slug: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[str] = mapped_column(Text)

    professional: Mapped[Professional] = relationship()
    attestation: Mapped[Attestation | None] = relationship(back_populates="attempt")


class Attestation(Base):
    """Proof that a professional passed a module version; a snapshot, so it reads the same forever.

    The public verification page shows it only to someone who gives both the code and the score.
    """

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    holder_name: Mapped[str] = mapped_column(String(400))
    professional_identifier: Mapped[str] = mapped_column(String(64))
    module_slug: Mapped[str] = mapped_column(String(64))
    module_version: Mapped[int] = mapped_column(Integer)
    module_title: Mapped[str] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(8))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="attestation")
