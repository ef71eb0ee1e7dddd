"""The cohort file and what is written from it, the same in every mode: the input's rows
(``utf-8``, with or without a byte-order mark), the kept rows written back with all their
columns (``--out``), and the report of invalid rows (``<out>.invalid.csv``).

The report's columns are ``row`` (the row's number in the input, its header being row 1, as a
spreadsheet numbers it), ``reason`` (the registry's identifier error code: ``empty``,
``length``, ``format``, ``checksum``...) and then every column of the input row as it was, so
that the mistyped numbers can be found and corrected. Both files are built here, from the
user's own copy of the cohort: the registry never sends an identifier back.

A job's answer is one row per checked line, ``line,status,reason`` (``registry.jobs`` on the
server describes it); ``rebuild_from_line_results`` turns it and the input back into both files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

FIRST_ROW = 2  # the header is row 1
LINE_RESULTS_HEADER = "line,status,reason"
LINE_STATUSES = ("not_opposed", "opposed", "invalid")


class UnreadableResults(ValueError):
    """The registry's line results are not in the format this client reads."""


def count_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as source:
        return max(0, sum(1 for _ in csv.reader(source)) - 1)


def open_rows(path: Path, column: str):
    """(file, row reader past the header, header, index of ``column``); stops on a file without them."""
    source = open(path, newline="", encoding="utf-8-sig")
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        raise SystemExit("the input file is empty")
    if column not in header:
        raise SystemExit(f"no column {column!r} in the header (columns: {', '.join(header)})")
    return source, reader, header, header.index(column)


def cleaned_writer(out):
    return csv.writer(out, lineterminator="\n")


def invalid_report_path(out: Path) -> Path:
    return Path(f"{out}.invalid.csv")


def invalid_report_writer(out):
    """A writer of the invalid rows' report; ``write_invalid_header`` starts a new report."""
    return csv.writer(out, lineterminator="\n")


def write_invalid_header(writer, header: list[str]) -> None:
    writer.writerow(["row", "reason", *header])


def parse_line_results(lines: Iterable[bytes | str]) -> Iterator[tuple[int, str, str]]:
    """(line, status, reason) for each row of a job's results, checked as they are read: a header
    other than ``line,status,reason``, an unknown status or lines out of order stop the run
    rather than be guessed at."""
    lines = iter(lines)
    header = next(lines, b"")
    header = header.decode("ascii", "replace") if isinstance(header, bytes) else header
    if header.strip() != LINE_RESULTS_HEADER:
        raise UnreadableResults("the job's results do not start with 'line,status,reason'")
    previous = 0
    for raw in lines:
        text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
        text = text.strip()
        if not text:
            continue
        parts = text.split(",")
        if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in LINE_STATUSES:
            raise UnreadableResults("a row of the job's results is not 'line,status,reason'")
        line = int(parts[0])
        if line <= previous:
            raise UnreadableResults("the job's results are not in input order")
        previous = line
        yield line, parts[1], parts[2]


def rebuild_from_line_results(input_path: Path, column: str, results: Iterable[tuple[int, str, str]],
                              out: Path, report: Path, *, progress=None) -> dict:
    """Write the cleaned cohort (``out``) and the invalid rows' report (``report``) from the
    user's own cohort file and a job's line results. The uploaded file held one identifier per
    input row under a header line, so result line N is input row N (header = row 1). A row with
    no result was blank in the upload: its identifier is ``empty``. Returns the counts."""
    counts = {"rows": 0, "kept": 0, "opposed": 0, "invalid": 0}
    results = iter(results)
    partial_out, partial_report = out.with_name(out.name + ".partial"), report.with_name(report.name + ".partial")
    source, reader, header, _index = open_rows(input_path, column)
    try:
        with source, open(partial_out, "w", newline="", encoding="utf-8") as cleaned_file, \
                open(partial_report, "w", newline="", encoding="utf-8") as report_file:
            cleaned, invalid = cleaned_writer(cleaned_file), invalid_report_writer(report_file)
            cleaned.writerow(header)
            write_invalid_header(invalid, header)
            pending = next(results, None)
            for number, row in enumerate(reader, start=FIRST_ROW):
                if pending is not None and pending[0] < number:
                    raise UnreadableResults("the job's results name a line the file does not have")
                if pending is not None and pending[0] == number:
                    (_line, status, reason), pending = pending, next(results, None)
                else:
                    status, reason = "invalid", "empty"
                counts["rows"] += 1
                if status == "not_opposed":
                    counts["kept"] += 1
                    cleaned.writerow(row)
                elif status == "opposed":
                    counts["opposed"] += 1
                else:
                    counts["invalid"] += 1
                    invalid.writerow([number, reason, *row])
                if progress is not None:
                    progress(1)
            if pending is not None:
                raise UnreadableResults("the job's results name a line the file does not have")
        partial_out.replace(out)
        partial_report.replace(report)
    except BaseException:
        partial_out.unlink(missing_ok=True)  # nothing half-built is left to be mistaken for a result
        partial_report.unlink(missing_ok=True)
        raise
    return counts
