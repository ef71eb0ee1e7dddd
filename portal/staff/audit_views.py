"""The audit trail for registry administrators: browse with filters, verify, export as CSV.

Verifying and exporting are themselves audited. The export carries each event's hashes so
anyone holding it can check the chain again outside the registry.

The filters come from the query string, so from any link or hand-edited address: each is read
with its bounds (``AuditFilterForm``; the page cursor ``before`` here), a value that makes no
sense gets a message on its field (status 422) and the export refuses it the same way rather
than export the whole trail, and a cursor that is not a sequence number shows the first page.
"""

from __future__ import annotations

import csv
import io
import re

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from registry.audit import record_event, verify_chain
from registry.audit_search import AuditFilter, search_events, stream_events
from registry.db import unit_of_work

from portal.database import db
from portal.staff import bp
from portal.staff.forms import ActionForm, AuditFilterForm
from portal.staff.session import current_staff, staff_required

EXPORT_COLUMNS = ("seq", "occurred_at", "actor", "action", "target", "details", "prev_hash", "hash")
# A sequence number: ASCII digits (``int`` would also read other scripts' digits) within the
# column's 32 bits (``AuditEvent.seq`` is an Integer); a larger cursor would select every event,
# so it shows the first page.
_CURSOR = re.compile(r"[0-9]{1,10}", re.ASCII).fullmatch
_LAST_SEQUENCE = 2**31 - 1


def _criteria(form: AuditFilterForm) -> AuditFilter | None:
    """The filters of a valid form, or None (its fields then carry their messages)."""
    if not form.validate():
        for field in (form.since, form.until):
            if field.errors:
                field.errors = [_("Saisissez une date au format JJ/MM/AAAA.")]
        return None
    return AuditFilter(
        action=(form.action.data or "").strip() or None,
        actor=(form.actor.data or "").strip() or None,
        target=(form.target.data or "").strip() or None,
        since=form.since.data,
        until=form.until.data,
    )


def _before() -> int | None:
    value = request.args.get("before", "")
    if _CURSOR(value) is None or int(value) > _LAST_SEQUENCE:
        return None
    return int(value)


def _audit_page(form: AuditFilterForm, criteria: AuditFilter | None, *, report=None, status: int = 200):
    """The trail's page: the events the filters select (all of them, newest first, while a
    filter has a problem: the page then says which), the next page's link and the export's."""
    shown = criteria or AuditFilter()
    page = search_events(db.session(), shown, before=_before() if criteria is not None else None)
    next_url = None
    if page.next_before is not None:
        next_url = url_for("staff.audit", **shown.as_dict(), before=page.next_before)
    return render_template(
        "staff/audit.html", form=form, page=page, next_url=next_url, report=report, verify_form=ActionForm(),
        export_url=url_for("staff.audit_export", **shown.as_dict()),
    ), status


@bp.get("/audit")
@staff_required("registry_admin")
def audit():
    form = AuditFilterForm(request.args)
    criteria = _criteria(form)
    return _audit_page(form, criteria, status=200 if criteria is not None else 422)


@bp.post("/audit/verification")
@staff_required("registry_admin")
def audit_verify():
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("staff/audit.html", form=AuditFilterForm(), page=None, report=None,
                               verify_form=form, next_url=None, export_url=url_for("staff.audit_export")), 400
    actor = current_staff().reference
    with unit_of_work(db.session()) as session:
        report = verify_chain(session)
        record_event(session, action="audit.verified", actor=actor,
                     details={"ok": report.ok, "count": report.count, "broken_seq": report.broken_seq})
    page = search_events(db.session(), AuditFilter())
    return render_template("staff/audit.html", form=AuditFilterForm(formdata=None), page=page, report=report,
                           verify_form=ActionForm(), next_url=None, export_url=url_for("staff.audit_export"))


@bp.get("/audit/export.csv")
@staff_required("registry_admin")
def audit_export():
    form = AuditFilterForm(request.args)
    criteria = _criteria(form)
    if criteria is None:  # never the whole trail in place of what was asked
        return _audit_page(form, None, status=422)
    actor = current_staff().reference
    with unit_of_work(db.session()) as session:
        record_event(session, action="audit.exported", actor=actor, details=criteria.as_dict())

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
