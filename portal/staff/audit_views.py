"""The audit trail for registry administrators: browse with filters, verify, export as CSV.

Verifying and exporting are themselves audited. The export carries each event's hashes so
anyone holding it can check the chain again outside the registry.
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from registry.audit import record_event, verify_chain
from registry.audit_search import AuditFilter, search_events, stream_events

from portal.database import db
from portal.staff import bp
from portal.staff.forms import ActionForm, AuditFilterForm
from portal.staff.session import current_staff, staff_required

EXPORT_COLUMNS = ("seq", "occurred_at", "actor", "action", "target", "details", "prev_hash", "hash")


def _criteria(form: AuditFilterForm) -> AuditFilter:
    if not form.validate():
        return AuditFilter()
    return AuditFilter(
        action=(form.action.data or "").strip() or None,
        actor=(form.actor.data or "").strip() or None,
        target=(form.target.data or "").strip() or None,
        since=form.since.data,
        until=form.until.data,
    )


def _before() -> int | None:
    value = request.args.get("before", "")
    return int(value) if value.isdigit() else None


@bp.get("/audit")
@staff_required("registry_admin")
def audit():
    form = AuditFilterForm(request.args)
    criteria = _criteria(form)
    for field in (form.since, form.until):
        if field.errors:
            field.errors = [_("Saisissez une date au format JJ/MM/AAAA.")]
    page = search_events(db.session(), criteria, before=_before())
    next_url = None
    if page.next_before is not None:
        next_url = url_for("staff.audit", **criteria.as_dict(), before=page.next_before)
    return render_template(
        "staff/audit.html", form=form, page=page, next_url=next_url, report=None, verify_form=ActionForm(),
        export_url=url_for("staff.audit_export", **criteria.as_dict()),
    ), (422 if form.errors else 200)


@bp.post("/audit/verification")
@staff_required("registry_admin")
def audit_verify():
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("staff/audit.html", form=AuditFilterForm(), page=None, report=None,
                               verify_form=form, next_url=None, export_url=url_for("staff.audit_export")), 400
    session = db.session()
    report = verify_chain(session)
    record_event(session, action="audit.verified", actor=current_staff().reference,
                 details={"ok": report.ok, "count": report.count, "broken_seq": report.broken_seq})
    session.commit()
    filter_form = AuditFilterForm(request.args)
    page = search_events(session, AuditFilter())
    return render_template("staff/audit.html", form=filter_form, page=page, report=report, verify_form=ActionForm(),
                           next_url=None, export_url=url_for("staff.audit_export"))


@bp.get("/audit/export.csv")
@staff_required("registry_admin")
def audit_export():
    criteria = _criteria(AuditFilterForm(request.args))
    session = db.session()
    record_event(session, action="audit.exported", actor=current_staff().reference, details=criteria.as_dict())
    session.commit()

    engine = db.engine()

    def rows():
        """Streamed with a session of its own, closed when the last row is sent."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        with Session(engine) as export_session:
            for event in stream_events(export_session, criteria):
                writer.writerow([event.seq, event.occurred_at.isoformat(timespec="microseconds"), event.actor,
                                 event.action, event.target or "", event.details, event.prev_hash, event.hash])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(rows(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
