"""Attestations of completed modules, with a verification code that people can read aloud.

The code uses an alphabet without look-alike characters (no 0/O, 1/I/L), 12 characters in
three groups: about 59 bits, too many to guess, short enough to type from paper. The public
verification page asks for both the code and the score, so a code seen alone (a photo of the first
line of the document) discloses nothing.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.learning_models import Attestation, Professional, QuizAttempt
from campaigns.modules import Module

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-.]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: grouped for reading."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """The code as stored, from what a person typed (case, spaces and dashes ignored); None if malformed."""
    code = _SEPARATORS.sub("", text or "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def issue_attestation(session: Session, attempt: QuizAttempt, module: Module) -> Attestation:
    """The attestation of a passed attempt; one per module version, the first pass counts."""
    if not attempt.passed:
        raise ValueError("only a passed attempt earns an attestation")
    existing = session.scalar(
        select(Attestation).join(QuizAttempt).where(
            QuizAttempt.professional_id == attempt.professional_id,
            Attestation.module_slug == module.slug, Attestation.module_version == module.version))
    if existing is not None:
        return existing
    professional = session.get(Professional, attempt.professional_id)
    attestation = Attestation(
        attempt_id=attempt.id, code=new_code(), holder_name=professional.display_name,
        professional_identifier=professional.professional_identifier,
        module_slug=module.slug, module_version=module.version, module_title=module.title,
        locale=module.locale, duration_minutes=module.duration_minutes, score=attempt.score,
        completed_at=attempt.completed_at,
    )
    session.add(attestation)
    session.flush()
    return attestation


def attestation_of(session: Session, professional: Professional, code: str) -> Attestation | None:
    """One of this professional's own attestations, for download."""
    return session.scalar(select(Attestation).join(QuizAttempt).where(
        Attestation.code == code, QuizAttempt.professional_id == professional.id))


def verify_attestation(session: Session, code_text: str, score_text: str) -> Attestation | None:
    """The attestation when the code and the score both match; None otherwise, whichever was wrong."""
    code = normalise_code(code_text)
    try:
        score = int((score_text or "").strip().rstrip("%").strip())
    except ValueError:
        return None
    if code is None:
        return None
    attestation = session.scalar(select(Attestation).filter_by(code=code))
    if attestation is None or attestation.score != score:
        return None
    return attestation
