"""``registre-check`` against a live server with the files people really have: spreadsheet exports
separated by ``;`` or tabs, in UTF-8 with a byte-order mark or in Windows-1252. The separator and
the encoding are detected (or given with ``--delimiter`` and ``--encoding``), the cleaned file and
the invalid rows' report are written back in the same ones, and a file that cannot be read is a
clear message with exit code 2, never a traceback."""

import codecs
import json
import socket

import pytest

from registre_client.cli import build_parser, main
from tests.portal.api.conftest import LiveServer, make_api_app
from tests.portal.api.test_lookup import OPPOSED, file
from tests.registre_client.test_cli import PEOPLE, Flaky, run_with_worker
from tests.registry.nir_factory import spaced

HEADER = ["NIR", "Nom", "Ville"]
KEPT = [[PEOPLE[0], "Françoise", "Saint-Étienne"], [PEOPLE[1], "Hélène", "Orléans"]]
ROWS = [[spaced(OPPOSED), "Gaëlle", "Nîmes"], KEPT[0], ["12345", "Zoë", "Besançon"], KEPT[1]]


def encode(rows, delimiter=";", encoding="cp1252", newline="\r\n") -> bytes:
    """A spreadsheet export: every field plain (none needs quoting), in ``encoding`` (``utf-8-sig``
    puts the byte-order mark in front)."""
    return "".join(delimiter.join(row) + newline for row in rows).encode(encoding)


def export(tmp_path, rows=None, **style):
    path = tmp_path / "export.csv"
    path.write_bytes(encode([HEADER, *(ROWS if rows is None else rows)], **style))
    return path


def check(live, cohort, out, *extra, column="NIR"):
    if not hasattr(live, "credentials"):
        live.credentials = live.create_warehouse("EDS client")
    return main([str(cohort), "--column", column, "--purpose", "research", "--out", str(out), "--url", live.url,
                 f"--client-id={live.credentials['client_id']}",
                 f"--client-secret={live.credentials['client_secret']}", "--quiet", *extra])


def expected_invalid(**style) -> bytes:
    """The short number is row 4 of the export (header row 1, then the opposed person, then a kept one)."""
    return encode([["row", "reason", *HEADER], ["4", "length", "12345", "Zoë", "Besançon"]], **style)


@pytest.mark.parametrize("mode", [[], ["--job-threshold", "1", "--poll", "0.05"]], ids=["batches", "job"])
def test_a_windows_1252_export_with_accented_names_is_written_back_in_windows_1252_and_semicolons(
        live, database_url, tmp_path, capsys, mode):
    file(database_url, OPPOSED)
    cohort = export(tmp_path)
    out = tmp_path / "cleaned.csv"
    assert run_with_worker(live, lambda: check(live, cohort, out, *mode)) == 0
    assert out.read_bytes() == encode([HEADER, *KEPT]), "the spreadsheet reopens it as it opened the export"
    assert (tmp_path / "cleaned.csv.invalid.csv").read_bytes() == expected_invalid()
    summary = json.loads((tmp_path / "cleaned.csv.summary.json").read_text())
    assert (summary["rows"], summary["kept"], summary["opposed"], summary["invalid"]) == (4, 2, 1, 1)
    assert (summary["encoding"], summary["delimiter"]) == ("cp1252", ";")
    err = capsys.readouterr().err
    assert "Windows-1252" in err and "';'" in err, "the format read is said"
    assert "4 data rows" in err and "line 1 is the header" in err and "1 invalid" in err
    assert "cleaned.csv.invalid.csv" in err
    if mode:
        assert summary["job_lines"] == 5 and "job counted 5 lines: the rows and the header line" in err


def test_a_semicolon_export_in_utf8_with_a_byte_order_mark_keeps_it(live, database_url, tmp_path):
    file(database_url, OPPOSED)
    cohort = export(tmp_path, encoding="utf-8-sig")
    assert cohort.read_bytes().startswith(codecs.BOM_UTF8)
    out = tmp_path / "cleaned.csv"
    assert check(live, cohort, out) == 0
    assert out.read_bytes() == encode([HEADER, *KEPT], encoding="utf-8-sig")
    assert (tmp_path / "cleaned.csv.invalid.csv").read_bytes() == expected_invalid(encoding="utf-8-sig")


def test_the_column_is_found_whatever_its_case(live, database_url, tmp_path):
    cohort = export(tmp_path, encoding="utf-8-sig")
    assert check(live, cohort, tmp_path / "cleaned.csv", column="nir") == 0
    assert (tmp_path / "cleaned.csv").read_bytes() == encode([HEADER, ROWS[0], *KEPT], encoding="utf-8-sig")


def test_a_tab_separated_utf8_file_without_a_byte_order_mark_stays_so(live, database_url, tmp_path):
    file(database_url, OPPOSED)
    cohort = export(tmp_path, delimiter="\t", encoding="utf-8", newline="\n")
    out = tmp_path / "cleaned.csv"
    assert check(live, cohort, out) == 0
    assert out.read_bytes() == encode([HEADER, *KEPT], delimiter="\t", encoding="utf-8", newline="\n")
    assert (tmp_path / "cleaned.csv.invalid.csv").read_bytes() == expected_invalid(
        delimiter="\t", encoding="utf-8", newline="\n")


def test_a_comma_in_a_column_name_does_not_hide_the_semicolons(live, database_url, tmp_path):
    header = ["NIR", "Nom, prénom", "Ville"]
    cohort = tmp_path / "export.csv"
    cohort.write_bytes(encode([header, *KEPT]))
    assert check(live, cohort, tmp_path / "cleaned.csv") == 0
    assert (tmp_path / "cleaned.csv").read_bytes() == encode([header, *KEPT])


def mixed_export(tmp_path):
    """UTF-8 first (a name typed in one program), then, past the bytes the encoding is decided on,
    Windows-1252 (rows pasted from another)."""
    path = tmp_path / "export.csv"
    first = [KEPT[0][0], KEPT[0][1] + " " + "x" * 100_000, KEPT[0][2]]
    path.write_bytes(encode([HEADER, first], encoding="utf-8") + encode([KEPT[1]], encoding="cp1252"))
    return path


def test_explicit_encoding_and_delimiter_are_used_and_kept(live, database_url, tmp_path, capsys):
    cohort = mixed_export(tmp_path)
    assert check(live, cohort, tmp_path / "auto.csv") == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "UTF-8" in err and "--encoding" in err and "Traceback" not in err
    assert not (tmp_path / "auto.csv").exists()

    out = tmp_path / "cleaned.csv"
    assert check(live, cohort, out, "--encoding", "cp1252", "--delimiter", ";") == 0
    assert out.read_bytes() == cohort.read_bytes(), "every byte read as Windows-1252 is written back as it was"


@pytest.mark.parametrize("spelling", ["\t", "\\t", "tab", "TAB"])
def test_a_tab_delimiter_can_be_spelled_as_a_shell_allows(live, database_url, tmp_path, spelling):
    cohort = export(tmp_path, rows=KEPT, delimiter="\t")
    out = tmp_path / "cleaned.csv"
    assert check(live, cohort, out, "--delimiter", spelling) == 0
    assert out.read_bytes() == cohort.read_bytes()


def test_a_wrong_delimiter_is_a_clear_message_that_names_the_option(live, tmp_path, capsys):
    cohort = export(tmp_path)
    assert check(live, cohort, tmp_path / "cleaned.csv", "--delimiter", ",") == 2
    err = capsys.readouterr().err
    assert "no column 'NIR'" in err and "--delimiter" in err and "Traceback" not in err
    assert not (tmp_path / "cleaned.csv").exists()


@pytest.mark.parametrize("content, words", [
    pytest.param(b"NIR;Nom\r\n185\x81\x8d\x90;\x9d\xe9\r\n", ["neither UTF-8 nor Windows-1252", "--encoding"],
                 id="neither UTF-8 nor Windows-1252"),
    pytest.param(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)),
                 ["not a CSV text file", "save it as CSV", "--encoding"], id="a spreadsheet workbook"),
    pytest.param(b"", ["empty"], id="an empty file"),
    pytest.param(b"\xef\xbb\xbf\r\n", ["empty"], id="a byte-order mark alone"),
])
def test_a_file_that_cannot_be_read_is_a_clear_message_and_exit_code_2(live, tmp_path, capsys, content, words):
    folder = tmp_path / "cohort"
    folder.mkdir()
    cohort = folder / "export.csv"
    cohort.write_bytes(content)
    assert check(live, cohort, folder / "cleaned.csv") == 2
    err = capsys.readouterr().err
    assert err.startswith("registre-check: ") and "Traceback" not in err
    for word in words:
        assert word in err
    assert sorted(p.name for p in folder.iterdir()) == ["export.csv"], "nothing is written"


def test_an_explicit_encoding_that_does_not_decode_says_where_and_what_to_change(live, tmp_path, capsys):
    cohort = export(tmp_path)
    assert check(live, cohort, tmp_path / "cleaned.csv", "--encoding", "utf-8") == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "--encoding" in err and "Traceback" not in err


def test_a_missing_input_or_an_unknown_encoding_is_a_clear_message(live, tmp_path, capsys):
    assert check(live, tmp_path / "nowhere.csv", tmp_path / "cleaned.csv") == 2
    err = capsys.readouterr().err
    assert "nowhere.csv" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stop:
        check(live, export(tmp_path), tmp_path / "cleaned.csv", "--encoding", "klingon")
    assert stop.value.code == 2
    assert "--encoding" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        check(live, export(tmp_path), tmp_path / "cleaned.csv", "--delimiter", ";;")
    assert stop.value.code == 2


def test_a_registry_that_cannot_be_reached_is_a_clear_message(tmp_path, capsys):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % unused.getsockname()[1]
    assert main([str(export(tmp_path)), "--purpose", "research", "--out", str(tmp_path / "cleaned.csv"),
                 "--url", url, "--client-id", "x", "--client-secret", "y", "--retries", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "could not be reached" in err and "--url" in err and "Traceback" not in err


def test_a_file_without_a_header_is_told_so_without_echoing_its_first_number(live, tmp_path, capsys):
    cohort = tmp_path / "numbers.csv"
    cohort.write_text("".join(f"{n}\n" for n in PEOPLE[:3]))
    assert check(live, cohort, tmp_path / "cleaned.csv") == 2
    err = capsys.readouterr().err
    assert "header" in err and PEOPLE[0] not in err


def test_help_describes_every_argument_in_a_sentence(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in ("input", "--column", "--purpose", "--out", "--url", "--client-id", "--client-secret",
                 "--batch-size", "--retries", "--job-threshold", "--poll", "--quiet", "--delimiter", "--encoding",
                 "--private", "--public-key", "--filter-cache", "--workers", "--no-acknowledgement"):
        assert name in text
    for action in build_parser()._actions:
        if action.dest != "help":
            assert action.help and len(action.help.split()) >= 5, f"{action.dest} has no sentence"
    assert "same delimiter and encoding" in text
    assert ".invalid.csv" in text and ".summary.json" in text
    assert "REGISTRE_CLIENT_ID" in text and "REGISTRE_API_URL" in text


def test_a_resumed_run_goes_on_in_the_same_encoding_without_a_second_byte_order_mark(database_url, tmp_path):
    from portal.database import db

    app = make_api_app(database_url, tmp_path)
    flaky = app.wsgi_app = Flaky(app.wsgi_app, {3: 400})  # a refusal that is not retried stops the run
    cohort = export(tmp_path, encoding="utf-8-sig")
    out = tmp_path / "cleaned.csv"
    try:
        with LiveServer(app) as live:
            file(database_url, OPPOSED)
            assert check(live, cohort, out, "--batch-size", "1") == 2
            assert json.loads((tmp_path / "cleaned.csv.state.json").read_text())["counts"]["rows"] == 2
            assert check(live, cohort, out, "--batch-size", "1") == 0
            assert flaky.calls == 5, "the two rows answered before the stop are not sent again"
    finally:
        db.dispose(app)
    assert out.read_bytes() == encode([HEADER, *KEPT], encoding="utf-8-sig")
    assert (tmp_path / "cleaned.csv.invalid.csv").read_bytes() == expected_invalid(encoding="utf-8-sig")
