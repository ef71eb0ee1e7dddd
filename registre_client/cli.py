"""``registre-check cohort.csv --column nir --purpose research --out cleaned.csv``

Filters a CSV cohort through the registry: the rows whose identifier is valid and not opposed for
the purpose are written to ``--out`` with all their columns, in input order; the rows whose
identifier is invalid go to ``<out>.invalid.csv`` with their row number and reason code
(``registre_client.cohort_csv`` describes both); a summary is printed and written beside them
(``<out>.summary.json``). The input may be separated by ``,``, ``;``, tabs or ``|`` and be UTF-8
(with or without a byte-order mark) or Windows-1252: both are detected (``--delimiter`` and
``--encoding`` say them), and the outputs are written the same way. Small files go in batches
of 10,000; large ones (``--job-threshold`` rows and more) as one background job, whose answer is
a status per line and no identifier: both files are rebuilt here from the input. Network errors
and 429/5xx answers are retried with backoff; an interrupted run started again with the same
arguments resumes from ``<out>.state.json`` (the batches already answered, or the job already
sent). An input that cannot be read is one line saying which option to change, exit code 2.

With ``--private`` no identifier leaves the machine: they are blinded here and checked against
the registry's published filter of opposed people (RFC 9497 VOPRF, see ``registre_client.private``);
the cleaned CSV and the summary are the same.

Credentials come from ``REGISTRE_CLIENT_ID`` and ``REGISTRE_CLIENT_SECRET`` (or the options),
the API address from ``REGISTRE_API_URL``.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import sys
import time
from pathlib import Path

import requests
from tqdm import tqdm
from tqdm.utils import CallbackIOWrapper

from registre_client.api import ApiError, RegistryClient
from registre_client.cohort_csv import (
    FIRST_ROW, CohortFileError, UnreadableResults, cleaned_writer, count_rows, detect_format,
    invalid_report_path, invalid_report_writer, open_rows, parse_line_results, rebuild_from_line_results,
    write_invalid_header,
)
from registre_client.private import FilterExpired, ProofRejected, default_cache, public_key_argument, run_private

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


def _reopen(path: Path, size: int, resuming: bool, encoding: str):
    """An output opened at its saved size (cut back if longer), or new."""
    out = open(path, "r+" if resuming and path.exists() else "w", newline="", encoding=encoding)
    out.truncate(size if resuming else 0)
    out.seek(size if resuming else 0)
    return out


def run_batches(client, args, state: State, total: int) -> dict:
    counts = state.get("counts", {"rows": 0, "kept": 0, "opposed": 0, "invalid": 0, "exceptions": 0,
                                  "kept_by_exception": 0})
    done = counts["rows"]
    fmt = args.cohort_format
    source, reader, header, index = open_rows(args.input, args.column, fmt)
    out = _reopen(args.out, state.get("out_bytes", 0), bool(done), fmt.encoding)
    report = _reopen(invalid_report_path(args.out), state.get("invalid_bytes", 0), bool(done), fmt.encoding)
    writer, invalid = cleaned_writer(out, fmt), invalid_report_writer(report, fmt)
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
            answer = client.lookup(args.purpose, [row[index] if index < len(row) else "" for row in rows])
            results = answer["results"]
            for name in ("checked_at", "valid_until"):  # the run holds as long as its oldest answer
                counts[name] = min(filter(None, (counts.get(name), answer.get(name))), default=None)
            for number, (row, result) in enumerate(zip(rows, results), start=FIRST_ROW + counts["rows"]):
                if "error" in result:
                    counts["invalid"] += 1
                    invalid.writerow([number, result["error"], *row])
                elif result["opposed"] and "exception" in result and args.keep_exceptions:
                    counts["exceptions"] += 1
                    counts["kept_by_exception"] += 1
                    counts["kept"] += 1
                    writer.writerow(row)
                elif result["opposed"]:
                    counts["opposed"] += 1
                    counts["exceptions"] += "exception" in result
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
    source, reader, _header, index = open_rows(args.input, args.column, args.cohort_format)
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
        counts = rebuild_from_line_results(args.input, args.column, parse_line_results(response.iter_lines()),
                                           args.out, invalid_report_path(args.out), progress=bar.update,
                                           fmt=args.cohort_format, keep_exceptions=args.keep_exceptions)
    # The registry's ``lines`` are the upload's, its header line among them: one more than the rows.
    counts["job_lines"] = job.get("counts", {}).get("lines")
    counts["checked_at"], counts["valid_until"] = job.get("checked_at"), job.get("valid_until")
    return counts


def _public_key(text: str) -> bytes:
    try:
        return public_key_argument(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _delimiter(text: str) -> str:
    """``--delimiter``: one character; a tab may be written ``tab`` or ``\\t``, as a shell lets one type it."""
    text = "\t" if text.lower() in ("tab", "\\t") else text
    if len(text) != 1 or text in "\r\n\"":
        raise argparse.ArgumentTypeError("give one character, such as ';' or ',' (or 'tab')")
    return text


def _encoding(text: str) -> str:
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r}: use a Python codec name, such as utf-8, cp1252 or latin-1") from None
    return text


HELP_EPILOG = """\
Written beside OUT: OUT.invalid.csv (the invalid rows, each with its row number, the header
being row 1, and the reason the registry gave, then all its columns), OUT.summary.json (the
counts), and while a run is under way OUT.state.json (an interrupted run started again with the
same arguments resumes from it). The cleaned file and the invalid rows' report keep the input's
same delimiter and encoding (and line ends), so a spreadsheet opens them as it opened the input.

Environment: REGISTRE_API_URL, REGISTRE_CLIENT_ID, REGISTRE_CLIENT_SECRET (and
REGISTRE_PUBLIC_KEY for --private) stand for the options of the same name.

Exit codes: 0 done; 2 the input cannot be read, the options are wrong or the registry refused;
3 (--private) the registry's proofs did not verify.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``registre-check``: every option with its sentence in ``--help``."""
    parser = argparse.ArgumentParser(
        prog="registre-check", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=HELP_EPILOG,
        description="Filter a CSV cohort through the national registry of opposition: keep the rows\n"
                    "whose identifier (NIR) is valid and not opposed to the purpose.")
    parser.add_argument("input", type=Path,
                        help="The cohort, a CSV file whose first line names the columns; a spreadsheet export "
                             "will do, separated by commas, semicolons, tabs or | and in UTF-8 (with or without a "
                             "byte-order mark) or Windows-1252, both detected.")
    parser.add_argument("--column", default="nir",
                        help="The header of the column holding the identifier; its case does not matter when "
                             "only one column matches (default: nir).")
    parser.add_argument("--purpose", required=True,
                        help="The purpose the cohort is used for, as a registry code (e.g. research; "
                             "GET /api/v1/purposes lists them): people opposed to it are left out.")
    parser.add_argument("--out", type=Path, required=True,
                        help="Where the cleaned cohort goes: the kept rows with all their columns, in input order, "
                             "in the same delimiter and encoding as the input; the other files are named after it.")
    parser.add_argument("--delimiter", type=_delimiter, default=None,
                        help="The input's column separator, one character ('tab' for a tab); by default it is "
                             "detected from the header line among , ; tab and |.")
    parser.add_argument("--encoding", type=_encoding, default=None,
                        help="The input's encoding, a Python codec name (utf-8, cp1252, latin-1...); by default "
                             "UTF-8 (with or without a byte-order mark) or else Windows-1252 is detected.")
    parser.add_argument("--url", default=os.environ.get("REGISTRE_API_URL", "http://127.0.0.1:5000"),
                        help="The registry API's address (default: $REGISTRE_API_URL, else "
                             "http://127.0.0.1:5000).")
    parser.add_argument("--client-id", default=os.environ.get("REGISTRE_CLIENT_ID"),
                        help="The warehouse's API client id, as the registry issued it "
                             "(default: $REGISTRE_CLIENT_ID).")
    parser.add_argument("--client-secret", default=os.environ.get("REGISTRE_CLIENT_SECRET"),
                        help="The warehouse's API client secret (default: $REGISTRE_CLIENT_SECRET, which keeps it "
                             "out of the shell history).")
    parser.add_argument("--job-threshold", type=int, default=100_000,
                        help="From this many rows on, the file goes as one background job instead of batches "
                             "(default: 100000).")
    parser.add_argument("--batch-size", type=int, default=BATCH,
                        help=f"How many identifiers each lookup call sends, 1 to {BATCH} (default: {BATCH}).")
    parser.add_argument("--poll", type=float, default=2.0,
                        help="Seconds to wait between two checks of a job's status (default: 2).")
    parser.add_argument("--retries", type=int, default=8,
                        help="How many times a call failing on the network or with a 429 or 5xx answer is tried "
                             "again, with growing waits, before the run stops (default: 8).")
    parser.add_argument("--quiet", action="store_true",
                        help="Show no progress bars, only the final summary and errors.")
    permits = parser.add_argument_group("data permits (EHDS art. 68)")
    permits.add_argument("--permit", default=os.environ.get("REGISTRE_PERMIT"),
                         help="The reference of the data permit the cohort serves (default: $REGISTRE_PERMIT): "
                              "the registry checks it is yours, in force and covers the purpose, and the people "
                              "whose opposition it applies see the project.")
    permits.add_argument("--keep-exceptions", action="store_true",
                         help="Keep the opposed rows the registry answered with the permit's public-interest "
                              "exception (the law lets the project include them); without it they are left out "
                              "like other opposed rows. The summary says how many were kept this way.")
    private = parser.add_argument_group("private mode (no identifier leaves this machine)")
    private.add_argument("--private", action="store_true",
                         help="Blind the identifiers and test them here against the registry's published filter "
                              "of opposed people, instead of sending them.")
    private.add_argument("--public-key", type=_public_key, default=os.environ.get("REGISTRE_PUBLIC_KEY"),
                         help="The registry's published public key (base64); proofs are checked against it "
                              "(default: $REGISTRE_PUBLIC_KEY, else the key the API serves).")
    private.add_argument("--filter-cache", type=Path, default=default_cache(),
                         help="Where the filter of opposed people is kept between runs (default: %(default)s).")
    private.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="How many processes blind and unblind the identifiers (default: one per core).")
    private.add_argument("--no-acknowledgement", action="store_true",
                         help="Do not send the registry the run's counts (cohort size, opposed, filter version).")
    return parser


def _exceptions(args, counts: dict) -> str:
    """What the summary says of the rows answered under the permit's exception."""
    if not counts.get("exceptions"):
        return ""
    if args.keep_exceptions:
        return (f" {counts['kept_by_exception']} of the kept rows are opposed people kept under the exception of "
                f"permit {args.permit} (--keep-exceptions).")
    return (f" {counts['exceptions']} of the opposed rows fall under the exception of permit {args.permit}: "
            "left out (add --keep-exceptions to keep them).")


def _say_done(args, counts: dict, fmt) -> None:
    """The summary on stderr: the data rows (the header, line 1, is not one of them), what became
    of them, and where the invalid ones are listed with their reasons."""
    rows = counts["rows"]
    where = f"; they are rows 2 to {rows + 1}, as a spreadsheet numbers them" if rows else ""
    job = (f" The registry's job counted {counts['job_lines']} lines: the rows and the header line."
           if counts.get("job_lines") is not None else "")
    print(f"registre-check: {rows} data rows checked for {args.purpose}, read as {fmt.describe()} "
          f"(line 1 is the header, not counted{where}): {counts['kept']} kept, {counts['opposed']} opposed, "
          f"{counts['invalid']} invalid.{job}{_exceptions(args, counts)}\n"
          f"  checked at {counts.get('checked_at')}; valid until {counts.get('valid_until')}: check again "
          "before using or releasing the data after that\n"
          f"  kept rows: {args.out}\n"
          f"  invalid rows, each with its row number and reason: {invalid_report_path(args.out)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.client_id or not args.client_secret:
        parser.error("set REGISTRE_CLIENT_ID and REGISTRE_CLIENT_SECRET (or --client-id and --client-secret)")
    if not 1 <= args.batch_size <= BATCH:
        parser.error("--batch-size is 1 to 10000")
    if args.workers < 1:
        parser.error("--workers is at least 1")

    try:
        fmt = args.cohort_format = detect_format(args.input, args.column, encoding=args.encoding,
                                                 delimiter=args.delimiter)
        total = count_rows(args.input, fmt)
        stat = args.input.stat()
    except CohortFileError as error:
        print(f"registre-check: {args.input}: {error}", file=sys.stderr)
        return 2
    client = RegistryClient(args.url, args.client_id, args.client_secret, retries=args.retries, permit=args.permit)
    mode = "private" if args.private else "job" if total >= args.job_threshold else "batches"
    state = State(Path(f"{args.out}.state.json"),
                  {"input": str(args.input.resolve()), "size": stat.st_size, "mtime": stat.st_mtime_ns,
                   "column": args.column, "purpose": args.purpose, "permit": args.permit, "mode": mode,
                   "encoding": fmt.encoding, "delimiter": fmt.delimiter})
    try:
        if mode == "private":
            counts = run_private(client, args, total)
        else:
            counts = (run_job if mode == "job" else run_batches)(client, args, state, total)
    except ApiError as error:
        print(f"registre-check: the registry refused the request: {error}", file=sys.stderr)
        return 2
    except requests.RequestException as error:
        print(f"registre-check: the registry at {args.url} could not be reached ({type(error).__name__}, "
              f"after {args.retries} retries): check --url and the network, then run the same command again "
              "to go on where it stopped.", file=sys.stderr)
        return 2
    except UnreadableResults as error:
        print(f"registre-check: stopped, {error}; nothing was written. Update registre-check.", file=sys.stderr)
        return 2
    except CohortFileError as error:  # the input changed since it was first read
        print(f"registre-check: {args.input}: {error}", file=sys.stderr)
        return 2
    except FilterExpired as error:
        print(f"registre-check: {error}", file=sys.stderr)
        return 2
    except ProofRejected as error:
        print(f"registre-check: stopped, {error}. Nothing was written: the registry's answers cannot be "
              "trusted. Check the registry's published public key, and report it to the registry.",
              file=sys.stderr)
        return 3
    summary = {"input": str(args.input), "output": str(args.out), "invalid_report": str(invalid_report_path(args.out)),
               "purpose": args.purpose, "mode": mode, "encoding": fmt.encoding, "delimiter": fmt.delimiter,
               "header_line": 1, **counts}
    Path(f"{args.out}.summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    state.path.unlink(missing_ok=True)
    _say_done(args, counts, fmt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
