"""``registre-check cohort.csv --column nir --purpose research --out cleaned.csv``

Filters a CSV cohort through the registry: the rows whose identifier is valid and not opposed for
the purpose are written to ``--out`` with all their columns, in input order; the rows whose
identifier is invalid go to ``<out>.invalid.csv`` with their row number and reason code
(``registre_client.cohort_csv`` describes both); a summary is printed and written beside them
(``<out>.summary.json``). Small files go in batches of 10,000; large ones (``--job-threshold``
rows and more) as one background job, whose answer is a status per line and no identifier: both
files are rebuilt here from the input. Network errors and 429/5xx answers are retried with
backoff; an interrupted run started again with the same arguments resumes from
``<out>.state.json`` (the batches already answered, or the job already sent).

With ``--private`` no identifier leaves the machine: they are blinded here and checked against
the registry's published filter of opposed people (RFC 9497 VOPRF, see ``registre_client.private``);
the cleaned CSV and the summary are the same.

Credentials come from ``REGISTRE_CLIENT_ID`` and ``REGISTRE_CLIENT_SECRET`` (or the options),
the API address from ``REGISTRE_API_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm
from tqdm.utils import CallbackIOWrapper

from registre_client.api import ApiError, RegistryClient
from registre_client.cohort_csv import (
    FIRST_ROW, UnreadableResults, cleaned_writer, count_rows, invalid_report_path, invalid_report_writer, open_rows,
    parse_line_results, rebuild_from_line_results, write_invalid_header,
)
from registre_client.private import ProofRejected, default_cache, public_key_argument, run_private

BATCH = 10_000


class State:
    """What a resumed run needs, saved after every step."""

    def __init__(self, path: Path, key: dict) -> None:
        self.path, self.key = path, key
        saved = json.loads(path.read_text()) if path.exists() else {}
        self.data = saved if saved.get("key") == key else {"key": key}

    def save(self, **values) -> None:
        self.data.update(values)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        tmp.replace(self.path)

    def get(self, name, default=None):
        return self.data.get(name, default)


def _reopen(path: Path, size: int, resuming: bool):
    """An output opened at its saved size (cut back if longer), or new."""
    out = open(path, "r+" if resuming and path.exists() else "w", newline="", encoding="utf-8")
    out.truncate(size if resuming else 0)
    out.seek(size if resuming else 0)
    return out


def run_batches(client, args, state: State, total: int) -> dict:
    counts = state.get("counts", {"rows": 0, "kept": 0, "opposed": 0, "invalid": 0})
    done = counts["rows"]
    source, reader, header, index = open_rows(args.input, args.column)
    out = _reopen(args.out, state.get("out_bytes", 0), bool(done))
    report = _reopen(invalid_report_path(args.out), state.get("invalid_bytes", 0), bool(done))
    writer, invalid = cleaned_writer(out), invalid_report_writer(report)
    if not done:
        writer.writerow(header)
        write_invalid_header(invalid, header)
    with source, out, report, \
            tqdm(total=total, initial=done, unit="rows", desc="checking", disable=args.quiet) as bar:
        for _ in range(done):
            next(reader)
        while True:
            rows = [row for _, row in zip(range(args.batch_size), reader)]
            if not rows:
                break
            results = client.lookup(args.purpose, [row[index] if index < len(row) else "" for row in rows])
            for number, (row, result) in enumerate(zip(rows, results), start=FIRST_ROW + counts["rows"]):
                if "error" in result:
                    counts["invalid"] += 1
                    invalid.writerow([number, result["error"], *row])
                elif result["opposed"]:
                    counts["opposed"] += 1
                else:
                    counts["kept"] += 1
                    writer.writerow(row)
            counts["rows"] += len(rows)
            out.flush()
            report.flush()
            state.save(counts=counts, out_bytes=out.tell(), invalid_bytes=report.tell())
            bar.update(len(rows))
    return counts


def write_upload_file(args, path: Path, total: int) -> None:
    """The identifier column alone, one a line: what the job endpoint takes. Kept on disk (not
    generated on the fly) so that a retried upload can start the body again from its beginning."""
    source, reader, _header, index = open_rows(args.input, args.column)
    with source, open(path, "w", encoding="utf-8", newline="\n") as target, \
            tqdm(total=total, unit="rows", desc="preparing", disable=args.quiet) as bar:
        target.write("identifier\n")
        for row in reader:
            target.write((row[index] if index < len(row) else "").replace("\n", " ") + "\n")
            bar.update(1)


def run_job(client, args, state: State, total: int) -> dict:
    job_id = state.get("job_id")
    if job_id is None:
        upload = Path(f"{args.out}.upload.tmp")
        try:
            write_upload_file(args, upload, total)
            with open(upload, "rb") as body, tqdm(total=upload.stat().st_size, unit="B", unit_scale=True,
                                                  desc="sending", disable=args.quiet) as bar:
                job_id = client.create_job(args.purpose, CallbackIOWrapper(bar.update, body, "read"))["id"]
        finally:
            upload.unlink(missing_ok=True)  # it holds identifiers: never left behind
        state.save(job_id=job_id)
    with tqdm(total=100, unit="%", desc="checking", disable=args.quiet) as bar:
        while True:
            job = client.job(job_id)
            bar.update(round(job["progress"] * 100) - bar.n)
            if job["status"] == "done":
                break
            if job["status"] in ("failed", "expired"):
                state.save(job_id=None)  # the next run sends the file again
                raise ApiError(409, f"job_{job['status']}", "run registre-check again to send the file again")
            time.sleep(args.poll)
    # The answer is a status per line of the upload (line N is input row N, the header being
    # line 1), without any identifier: both files are rebuilt from the input.
    response = client.job_result(job_id)
    with response, tqdm(total=total, unit="rows", desc="writing", disable=args.quiet) as bar:
        return rebuild_from_line_results(args.input, args.column, parse_line_results(response.iter_lines()),
                                         args.out, invalid_report_path(args.out), progress=bar.update)


def _public_key(text: str) -> bytes:
    try:
        return public_key_argument(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="registre-check", description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--column", default="nir", help="the column holding the identifier (default: nir)")
    parser.add_argument("--purpose", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--url", default=os.environ.get("REGISTRE_API_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--client-id", default=os.environ.get("REGISTRE_CLIENT_ID"))
    parser.add_argument("--client-secret", default=os.environ.get("REGISTRE_CLIENT_SECRET"))
    parser.add_argument("--job-threshold", type=int, default=100_000, help="rows from which a job is used")
    parser.add_argument("--batch-size", type=int, default=BATCH)
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between job status checks")
    parser.add_argument("--retries", type=int, default=8)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    private = parser.add_argument_group("private mode (no identifier leaves this machine)")
    private.add_argument("--private", action="store_true", help="blind the identifiers and test them locally")
    private.add_argument("--public-key", type=_public_key, default=os.environ.get("REGISTRE_PUBLIC_KEY"),
                         help="the registry's published public key (base64); proofs are checked against it "
                              "(default: the key the API serves)")
    private.add_argument("--filter-cache", type=Path, default=default_cache(),
                         help="where the filter of opposed people is kept between runs")
    private.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="processes blinding and unblinding (default: one per core)")
    private.add_argument("--no-acknowledgement", action="store_true",
                         help="do not send the registry the run's counts (cohort size, opposed, filter version)")
    args = parser.parse_args(argv)
    if not args.client_id or not args.client_secret:
        parser.error("set REGISTRE_CLIENT_ID and REGISTRE_CLIENT_SECRET (or --client-id and --client-secret)")
    if not 1 <= args.batch_size <= BATCH:
        parser.error("--batch-size is 1 to 10000")
    if args.workers < 1:
        parser.error("--workers is at least 1")

    client = RegistryClient(args.url, args.client_id, args.client_secret, retries=args.retries)
    total = count_rows(args.input)
    mode = "private" if args.private else "job" if total >= args.job_threshold else "batches"
    stat = args.input.stat()
    state = State(Path(f"{args.out}.state.json"),
                  {"input": str(args.input.resolve()), "size": stat.st_size, "mtime": stat.st_mtime_ns,
                   "column": args.column, "purpose": args.purpose, "mode": mode})
    try:
        if mode == "private":
            counts = run_private(client, args, total)
        else:
            counts = (run_job if mode == "job" else run_batches)(client, args, state, total)
    except ApiError as error:
        print(f"registre-check: the registry refused the request: {error}", file=sys.stderr)
        return 2
    except UnreadableResults as error:
        print(f"registre-check: stopped, {error}; nothing was written. Update registre-check.", file=sys.stderr)
        return 2
    except ProofRejected as error:
        print(f"registre-check: stopped, {error}. Nothing was written: the registry's answers cannot be "
              "trusted. Check the registry's published public key, and report it to the registry.",
              file=sys.stderr)
        return 3
    summary = {"input": str(args.input), "output": str(args.out), "invalid_report": str(invalid_report_path(args.out)),
               "purpose": args.purpose, "mode": mode, **counts}
    Path(f"{args.out}.summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    state.path.unlink(missing_ok=True)
    print(f"{counts['rows']} rows checked for {args.purpose}: {counts['kept']} kept, "
          f"{counts['opposed']} opposed, {counts['invalid']} invalid -> {args.out} "
          f"(invalid rows: {invalid_report_path(args.out)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
