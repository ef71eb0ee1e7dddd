"""The cohort file and what is written from it, the same in every mode: the input's rows, the
kept rows written back with all their columns (``--out``), and the report of invalid rows
(``<out>.invalid.csv``).

The input is what spreadsheets export: separated by ``,``, ``;``, tabs or ``|``, in UTF-8 (with
or without a byte-order mark) or Windows-1252. ``detect_format`` finds which (or takes what the
user says), and both outputs are written in the same separator, encoding and line ends, so that
the spreadsheet that made the export opens them the same way.

The report's columns are ``row`` (the row's number in the input, its header being row 1, as a
spreadsheet numbers it), ``reason`` (the registry's identifier error code: ``empty``,
``length``, ``format``, ``checksum``...) and then every column of the input row as it was, so
that the mistyped numbers can be found and corrected. Both files are built here, from the
user's own copy of the cohort: the registry never sends an identifier back.

A job's answer is one row per checked line, ``line,status,reason`` (``registry.jobs`` on the
server describes it); ``rebuild_from_line_results`` turns it and the input back into both files.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FIRST_ROW = 2  # the header is row 1
LINE_RESULTS_HEADER = "line,status,reason"
LINE_STATUSES = ("not_opposed", "opposed", "invalid")
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with a byte-order mark", "cp1252": "Windows-1252",
                  "utf-16": "UTF-16"}
_SCAN_BLOCK = 1 << 16  # the encoding is decided on the first such block holding a non-ASCII byte


class UnreadableResults(ValueError):
    """The registry's line results are not in the format this client reads."""


class CohortFileError(ValueError):
    """The cohort file cannot be read as asked; the message says why and which option changes it
    (and never quotes an identifier)."""


@dataclass(frozen=True)
class CohortFormat:
    """How the cohort file is written, to read it and to write the outputs the same way.
    ``detected`` is False when the user gave the encoding, for the advice given on a failure."""

    encoding: str = "utf-8"
    delimiter: str = ","
    lineterminator: str = "\n"
    detected: bool = True

    def describe(self) -> str:
        encoding = ENCODING_NAMES.get(self.encoding, self.encoding)
        delimiter = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return f"{encoding}, {delimiter}-separated"

    def open(self, path: Path, mode: str = "r"):
        """The file opened in this encoding, for the ``csv`` module (``newline=""``)."""
        return open(path, mode, newline="", encoding=self.encoding)

    def reader(self, source):
        return csv.reader(source, delimiter=self.delimiter)

    def writer(self, target):
        return csv.writer(target, delimiter=self.delimiter, lineterminator=self.lineterminator)


def detect_format(path: Path, column: str | None = None, *, encoding: str | None = None,
                  delimiter: str | None = None) -> CohortFormat:
    """The file's encoding, separator and line end, and a check of its header.

    The encoding, unless given, is UTF-8 when the file starts with a UTF-8 byte-order mark or when
    its first non-ASCII bytes are UTF-8, UTF-16 after a UTF-16 byte-order mark, else Windows-1252
    (what French spreadsheets save as "CSV" on Windows); a file that is neither stops here. The
    separator, unless given, is what ``csv.Sniffer`` sees in the header line among ``,;\\t|``,
    or, when the header split that way has no ``column``, the first of them that gives it one;
    ``,`` when nothing else fits. ``column``, when given, must be in the header."""
    try:
        with open(path, "rb") as source:
            start = source.read(4)
    except OSError as error:
        raise CohortFileError(f"cannot read the file ({error.strerror or type(error).__name__})") from None
    if encoding is None:
        chosen, detected = _detect_encoding(path, start), True
    else:
        chosen, detected = encoding, False
        if codecs.lookup(encoding).name == "utf-8" and start.startswith(codecs.BOM_UTF8):
            chosen = "utf-8-sig"  # the mark is not part of the first column's name
    fmt = CohortFormat(chosen, delimiter or ",", "\n", detected)
    try:
        with fmt.open(path) as source:
            first_line = source.readline()
    except UnicodeError:
        raise _decoding_error(path, fmt) from None
    lineterminator = "\r\n" if first_line.endswith("\r\n") else "\n"
    header_line = first_line.rstrip("\r\n")
    if not header_line.strip():
        raise CohortFileError("the file is empty" if not first_line.strip() and _is_empty(path, fmt) else
                              "the first line is empty: the header line (the columns' names) must come first")
    if delimiter is None:
        delimiter = _detect_delimiter(header_line, column)
    fmt = CohortFormat(chosen, delimiter, lineterminator, detected)
    if column is not None:
        source, _reader, _header, _index = open_rows(path, column, fmt)
        source.close()
    return fmt


def _is_empty(path: Path, fmt: CohortFormat) -> bool:
    with fmt.open(path) as source:
        return not source.read(_SCAN_BLOCK).strip()


def _detect_encoding(path: Path, start: bytes) -> str:
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    with open(path, "rb") as source:
        while block := source.read(_SCAN_BLOCK):
            if b"\0" in block:
                raise CohortFileError(
                    "this is not a CSV text file (it holds NUL bytes): if it is a spreadsheet workbook, "
                    "save it as CSV; if it is UTF-16 text without a byte-order mark, pass --encoding utf-16-le")
            if block.isascii():
                continue  # ASCII is the same in both: the first other bytes decide
            extra = source.read(4)  # a character begun at the block's end is read whole
            sample = block + extra
            try:
                codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(extra) < 4)
                return "utf-8"
            except UnicodeDecodeError:
                pass
            try:
                sample.decode("cp1252")
                return "cp1252"
            except UnicodeDecodeError as error:
                raise CohortFileError(
                    f"the file is neither UTF-8 nor Windows-1252 (byte 0x{sample[error.start]:02x}): "
                    "pass its encoding with --encoding (e.g. --encoding latin-1, --encoding mac-roman)") from None
    return "utf-8"


def _detect_delimiter(header_line: str, column: str | None) -> str:
    try:
        sniffed = csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    if column is None:
        return sniffed
    for candidate in dict.fromkeys([sniffed, *DELIMITERS]):
        if find_column(next(csv.reader([header_line], delimiter=candidate), []), column) is not None:
            return candidate
    return sniffed


def _decoding_error(path: Path, fmt: CohortFormat) -> CohortFileError:
    """Where the file stops being ``fmt.encoding``: the first line that does not decode."""
    decoder = codecs.getincrementaldecoder(fmt.encoding)()
    line = 1
    with open(path, "rb") as source:
        for line, raw in enumerate(source, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                break
    name = ENCODING_NAMES.get(fmt.encoding, fmt.encoding)
    if fmt.detected:
        advice = (f"the file was read as {name} from its first non-ASCII characters, but holds another "
                  "encoding further on: pass its encoding with --encoding (e.g. --encoding cp1252 for a "
                  "Windows export)")
    else:
        advice = "check --encoding (without it, UTF-8 and Windows-1252 are recognised)"
    return CohortFileError(f"line {line} of the file is not {name}: {advice}")


def find_column(header: list[str], column: str) -> int | None:
    """The index of ``column`` in the header: its exact name, else the only one equal to it
    ignoring case and surrounding spaces (``NIR`` for ``nir``)."""
    if column in header:
        return header.index(column)
    wanted = column.strip().casefold()
    matches = [i for i, name in enumerate(header) if name.strip().casefold() == wanted]
    return matches[0] if len(matches) == 1 else None


def count_rows(path: Path, fmt: CohortFormat | None = None) -> int:
    """The rows under the header. Reads the whole file, so that a line that does not decode or
    parse stops the run here, before anything is sent or written."""
    fmt = fmt or detect_format(path)
    try:
        with fmt.open(path) as source:
            reader = fmt.reader(source)
            try:
                return max(0, sum(1 for _ in reader) - 1)
            except csv.Error as error:
                raise CohortFileError(f"line {reader.line_num} of the file is not CSV ({error})") from None
    except UnicodeError:
        raise _decoding_error(path, fmt) from None


def _looks_like_data(name: str) -> bool:
    return sum(c.isdigit() for c in name) >= 6


def open_rows(path: Path, column: str, fmt: CohortFormat | None = None):
    """(file, row reader past the header, header, index of ``column``); stops on a file without them."""
    fmt = fmt or detect_format(path, column)
    source = fmt.open(path)
    try:
        reader = fmt.reader(source)
        header = next(reader, None)
        if not header:
            raise CohortFileError("the file is empty")
        index = find_column(header, column)
        if index is None:
            if any(_looks_like_data(name) for name in header):
                raise CohortFileError(
                    "the first line holds a number where the columns' names are expected: add a header line "
                    f"naming the columns (e.g. {column})")
            raise CohortFileError(
                f"no column {column!r} in the header, read as {fmt.describe()} (columns: "
                f"{' | '.join(header)}); name the column with --column, or, if the columns are not split "
                "right, pass the separator with --delimiter (and the encoding with --encoding)")
    except UnicodeError:
        source.close()
        raise _decoding_error(path, fmt) from None
    except BaseException:
        source.close()
        raise
    return source, reader, header, index


def cleaned_writer(out, fmt: CohortFormat | None = None):
    """A writer of kept rows, in the input's separator and line ends (``fmt``)."""
    return (fmt or CohortFormat()).writer(out)


def invalid_report_path(out: Path) -> Path:
    return Path(f"{out}.invalid.csv")


def invalid_report_writer(out, fmt: CohortFormat | None = None):
    """A writer of the invalid rows' report, in the input's separator and line ends (``fmt``);
    ``write_invalid_header`` starts a new report."""
    return (fmt or CohortFormat()).writer(out)


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
                              out: Path, report: Path, *, progress=None, fmt: CohortFormat | None = None,
                              keep_exceptions: bool = False) -> dict:
    """Write the cleaned cohort (``out``) and the invalid rows' report (``report``) from the
    user's own cohort file and a job's line results. The uploaded file held one identifier per
    input row under a header line, so result line N is input row N (header = row 1). A row with
    no result was blank in the upload: its identifier is ``empty``. Both files are written in the
    input's format (``fmt``, detected when not given). An opposed row answered under a data
    permit's exception (reason ``exception``) is kept only with ``keep_exceptions``, and counted
    in ``exceptions`` and, when kept, ``kept_by_exception`` (both absent when there was none).
    Returns the counts."""
    counts = {"rows": 0, "kept": 0, "opposed": 0, "invalid": 0, "exceptions": 0, "kept_by_exception": 0}
    results = iter(results)
    partial_out, partial_report = out.with_name(out.name + ".partial"), report.with_name(report.name + ".partial")
    fmt = fmt or detect_format(input_path, column)
    source, reader, header, _index = open_rows(input_path, column, fmt)
    try:
        with source, fmt.open(partial_out, "w") as cleaned_file, fmt.open(partial_report, "w") as report_file:
            cleaned, invalid = cleaned_writer(cleaned_file, fmt), invalid_report_writer(report_file, fmt)
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
                elif status == "opposed" and reason == "exception" and keep_exceptions:
                    counts["exceptions"] += 1
                    counts["kept_by_exception"] += 1
                    counts["kept"] += 1
                    cleaned.writerow(row)
                elif status == "opposed":
                    counts["opposed"] += 1
                    counts["exceptions"] += reason == "exception"
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
    if not counts["exceptions"]:  # no permit's exception answered: the counts of before
        del counts["exceptions"], counts["kept_by_exception"]
    return counts
