"""Cohort jobs: upload a file of identifiers, follow the job, download its line results.

The upload is streamed to the job's folder as it arrives (never held in memory), then the job
is queued; ``registry.jobs`` does the work and documents the result format (``line,status,reason``,
one row per checked line, no identifier). The upload is deleted as soon as the job is done or
failed; the warehouse rebuilds its cleaned cohort from its own copy of the file. A job is only
visible to the warehouse that sent it.
"""

from __future__ import annotations

import codecs
import shutil

from flask import Response, jsonify, request, stream_with_context, url_for

from registry.db import unit_of_work
from registry.freshness import stamp, valid_until
from registry.jobs import INPUT, RESULTS, JobNotFound, create_job, job_folder, job_for_warehouse, new_job_folder
from registry.permits import PermitRefused, permit_grant

from portal.api import answer_validity, bp
from portal.api.quota import quota
from portal.api.auth import client_required, current_client
from portal.api.problems import ApiProblem
from portal.api.queue import enqueue_job, jobs_root, retention
from portal.api.views import api_quota, parse_permit, parse_purpose, permit_problem
from portal.database import db
from flask import current_app

UPLOAD_TYPES = ("text/csv", "text/plain")
BLOCK = 1024 * 1024


def job_json(job) -> dict:
    body = {
        "id": job.public_id,
        "status": job.status,
        "purpose": job.purpose.code,
        **({"permit": job.permit.reference, "exception": job.permit.exception_reference} if job.permit else {}),
        "progress": job.progress,
        "counts": {"lines": job.lines_done, "kept": job.kept, "opposed": job.opposed, "invalid": job.invalid},
        "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
        "expires_at": stamp(job.expires_at),
    }
    if job.status == "done":
        body["result"] = url_for("api.job_result", job_id=job.public_id)
        # the registry was read while the job ran: its results hold from its start
        body["checked_at"] = stamp(job.started_at)
        body["valid_until"] = stamp(valid_until(job.started_at, answer_validity()))
    return body


def _without_byte_order_mark(stream) -> bytes:
    """The upload's first block, without the UTF-8 byte-order mark a spreadsheet or a Windows
    editor puts in front: left there, it would glue itself to the first line (a header not seen
    as one, or a first number read as malformed). A short read cannot split the mark in two:
    the first three bytes are gathered before it is looked for."""
    first = stream.read(BLOCK)
    while first and len(first) < len(codecs.BOM_UTF8) and (more := stream.read(BLOCK)):
        first += more
    first = first.removeprefix(codecs.BOM_UTF8)
    return first or stream.read(BLOCK)  # the mark may have been the whole of the first read


@bp.post("/jobs")
@client_required("jobs")
@quota(api_quota)
def create():
    """Stream a cohort file (one identifier a line, optional header) to disk and queue its job;
    ``permit`` names the data permit it serves, checked before anything is read."""
    purpose = parse_purpose(request.args.get("purpose"))
    permit = parse_permit(request.args.get("permit"), pointer="permit")
    if request.mimetype not in UPLOAD_TYPES:
        raise ApiProblem(415, "unsupported_media_type", "Send the cohort as text/csv or text/plain.")
    request.max_content_length = current_app.config["JOBS_MAX_BYTES"]
    client = current_client()
    grant = None
    if permit is not None:
        try:
            grant = permit_grant(db.session(), permit, client.warehouse_id, purpose)
        except PermitRefused as refused:
            raise permit_problem(refused, "permit") from None
    public_id, folder = new_job_folder(jobs_root())
    size = 0
    try:
        with open(folder / INPUT, "wb") as target:
            stream = request.stream
            block = _without_byte_order_mark(stream)
            while block:
                target.write(block)
                size += len(block)
                block = stream.read(BLOCK)
        if size == 0:
            raise ApiProblem(422, "invalid_request", "The file is empty.")
        with unit_of_work(db.session()) as session:
            job = create_job(session, public_id=public_id, warehouse_id=client.warehouse_id,
                             client_id=client.client_id, purpose=purpose, input_bytes=size,
                             retention=retention(), permit_id=grant.id if grant else None)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    enqueue_job(job.id)
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.job_status", job_id=public_id)
    return response


def _own_job(job_id: str):
    try:
        return job_for_warehouse(db.session(), job_id, current_client().warehouse_id)
    except JobNotFound:
        raise ApiProblem(404, "job_not_found") from None


@bp.get("/jobs/<job_id>")
@client_required("jobs")
@quota(api_quota)
def job_status(job_id: str):
    return jsonify(job_json(_own_job(job_id)))


@bp.get("/jobs/<job_id>/result")
@client_required("jobs")
@quota(api_quota)
def job_result(job_id: str):
    """The job's line results as CSV: ``line,status,reason`` (``registry.jobs`` describes it).

    ``part`` belonged to the former two-file result (``cleaned`` with identifiers, ``invalid``);
    it is refused rather than ignored, so that a client written for that format cannot mistake
    every line number for a kept one."""
    if "part" in request.args:
        raise ApiProblem(422, "invalid_request", "'part' is no longer accepted: the result is one file of "
                         "line results (line,status,reason).", pointer="part")
    job = _own_job(job_id)
    if job.status == "expired":
        raise ApiProblem(410, "job_expired")
    if job.status != "done":
        raise ApiProblem(409, "job_not_ready", f"The job is {job.status}.")
    path = job_folder(jobs_root(), job) / RESULTS

    def blocks():
        with open(path, "rb") as source:
            while block := source.read(BLOCK):
                yield block

    return Response(stream_with_context(blocks()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{job.public_id}-results.csv"'})
