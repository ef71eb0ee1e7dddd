"""The layering of DESIGN.md holds: registry and campaigns never import the web layer."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_MODULES = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "portal")


def test_import_linter_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_no_domain_module_imports_the_web_layer_even_lazily():
    offenders = []
    for package in ("registry", "campaigns"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in WEB_MODULES]
    assert offenders == []


CLAIM_WRITERS = frozenset({"file_opposition", "change_purposes", "withdraw_opposition", "set_claim",
                           "supersede_claims", "subject_for_filing"})


def _uses_of(path: Path, module: str, names: frozenset[str]) -> list[str]:
    """Where ``path`` reaches one of ``names`` of ``module``: ``from module import name``, or
    ``module.name`` / ``alias.name`` after ``import module [as alias]`` or ``from package import
    module``. Lazy imports inside functions count too."""
    package, _, last = module.rpartition(".")
    aliases = {module}
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            found += [f"{path.relative_to(ROOT)}:{node.lineno}: {a.name}" for a in node.names
                      if a.name in names or a.name == "*"]
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            aliases |= {a.asname or a.name for a in node.names if a.name == last}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == module}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names and ast.unparse(node.value) in aliases:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def _calls_of(path: Path, names: frozenset[str]) -> list[str]:
    """Every call of a function named one of ``names``, directly or as an attribute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def test_the_portal_changes_claims_only_through_the_ownership_rules():
    """registry.ownership says who may change what; the portal must not write claims around it.
    Only the demo seeding (counter filings of fictitious people) files directly."""
    allowed = {ROOT / "portal" / "demo.py"}
    offenders = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if path not in allowed:
            offenders += _uses_of(path, "registry.oppositions", CLAIM_WRITERS)
    assert offenders == []


def test_only_the_claim_mechanics_and_the_rules_set_or_supersede_claims():
    allowed = {ROOT / "registry" / "oppositions.py", ROOT / "registry" / "ownership.py"}
    offenders = []
    for path in sorted((ROOT / "registry").rglob("*.py")):
        if path not in allowed and "migrations" not in path.relative_to(ROOT).parts:
            offenders += _calls_of(path, frozenset({"set_claim", "supersede_claims"}))
            offenders += _uses_of(path, "registry.oppositions", frozenset({"set_claim", "supersede_claims"}))
    assert offenders == []


def test_the_ownership_checks_see_imports_and_attribute_calls(tmp_path, monkeypatch):
    """The two checks above would pass vacuously if they missed a form of use."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from registry.oppositions import Filing, set_claim\n"
        "import registry.oppositions as ops\n"
        "from registry import oppositions\n"
        "import registry.oppositions\n"
        "def f():\n"
        "    from registry.oppositions import subject_for_filing\n"
        "    ops.file_opposition()\n"
        "    oppositions.withdraw_opposition()\n"
        "    registry.oppositions.change_purposes()\n"
        "    ops.current_opposition()\n"
        "    thing.supersede_claims()\n"
    )
    uses = _uses_of(sample, "registry.oppositions", CLAIM_WRITERS)
    assert sorted(use.split(": ", 1)[1] for use in uses) == [
        "oppositions.withdraw_opposition", "ops.file_opposition", "registry.oppositions.change_purposes",
        "set_claim", "subject_for_filing"]
    assert [call.split(": ", 1)[1] for call in _calls_of(sample, frozenset({"set_claim", "supersede_claims"}))] == [
        "supersede_claims"]


def test_nothing_writes_outside_the_unit_of_work():
    """Every write goes through ``registry.db.unit_of_work`` (or ``write_with_retry``), which
    takes the write turn: no view, command or job commits, takes the turn or begins a
    transaction by itself, so none can forget the turn."""
    allowed = {ROOT / "registry" / "db.py", ROOT / "registry" / "migrations" / "env.py"}
    forbidden_calls = {"commit", "write_turn", "begin_write", "begin"}
    offenders = []
    for package in ("portal", "registry", "campaigns"):
        for path in (ROOT / package).rglob("*.py"):
            if path in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name in forbidden_calls:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}()")
    assert offenders == []


# The entry points of registry/ that own their transactions, as a view or a command does: each
# orders its commits against files on disk (a job's results, the lookups' journal), which is
# why they live beside those files rather than in the web layer that calls them.
TRANSACTION_OWNERS = {
    "registry/db.py": {"unit_of_work", "write_with_retry"},  # the unit of work itself
    "registry/jobs.py": {"run_job"},  # the job worker: claim, one checkpoint per chunk, end, failure
    "registry/lookup_records.py": {"LookupRecorder.write", "replay_orphans"},  # a recorder batch, a journal
}
TRANSACTION_CALLS = frozenset({"unit_of_work", "write_with_retry", "commit"})


def _transaction_calls(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, name) of every call of ``TRANSACTION_CALLS`` in ``path``; the
    function is qualified by its class ("Class.method"), "" at module level."""
    found = []

    def visit(node: ast.AST, owner: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, f"{owner}.{child.name}" if owner else child.name)
                continue
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in TRANSACTION_CALLS:
                    found.append((owner, child.lineno, name))
            visit(child, owner)

    visit(ast.parse(path.read_text(), str(path)), "")
    return found


def test_in_the_registry_only_its_entry_points_end_a_transaction():
    """DESIGN section 2: domain functions take the session, may flush, never commit. In registry/
    only the entry points of ``TRANSACTION_OWNERS`` open a unit of work (or commit, in the unit
    of work itself); everything they call, and everything else, leaves that to its caller."""
    offenders = []
    for path in sorted((ROOT / "registry").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        allowed = TRANSACTION_OWNERS.get(relative, set())
        offenders += [f"{relative}:{line}: {name}() in {owner or 'the module'}"
                      for owner, line, name in _transaction_calls(path) if owner not in allowed]
    assert offenders == []


def test_the_transaction_check_sees_nested_functions_and_methods(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "class Recorder:\n"
        "    def write(self, session):\n"
        "        with unit_of_work(session):\n"
        "            pass\n"
        "def run():\n"
        "    def step(session):\n"
        "        session.commit()\n"
        "    db.write_with_retry(None, step)\n"
    )
    assert _transaction_calls(sample) == [("Recorder.write", 3, "unit_of_work"), ("run.step", 7, "commit"),
                                          ("run", 8, "write_with_retry")]


def test_every_writer_names_a_warehouse_actor_through_one_helper():
    """A warehouse client is named ``warehouse:<client id>`` by ``registry.audit.warehouse_actor``
    only; an actor spelled by hand (``f"warehouse..."``) would bring back a form a search misses."""
    offenders = []
    for package in ("portal", "registry", "campaigns"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.keyword) and node.arg == "actor":
                    value = node.value
                    start = value.values[0] if isinstance(value, ast.JoinedStr) and value.values else value
                    if isinstance(start, ast.Constant) and str(start.value).startswith("warehouse"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    assert offenders == []
