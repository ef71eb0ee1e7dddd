"""The cohort file and the cleaned file, the same in every mode: the input's rows (``utf-8``,
with or without a byte-order mark) and the kept rows written back with all their columns."""

from __future__ import annotations

import csv
from pathlib import Path


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
