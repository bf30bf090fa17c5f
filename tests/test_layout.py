"""The package's layout holds: the import rules in `possibility/__init__.py`, no `sys.path`
edits, and nothing of the project reaching outside its own folder."""

import ast
import subprocess
import sys

import pytest
from conftest import ROOT
from outside_reads import OutsideRead, forbidden_roots, guard

PACKAGE = ROOT / "plugins" / "possibility"
SIDES = ("site", "core", "commands", "common")


def module_name(path):
    parts = path.relative_to(ROOT / "plugins").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """Every module `path` imports (relative imports resolved), with its line."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((target, node.lineno))
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
    return found


def side_of(module):
    """('site', plugin) / ('core', None) / ... for a module of the package, else None."""
    parts = module.split(".")
    if parts[0] != "possibility" or len(parts) < 2 or parts[1] not in SIDES:
        return None
    return parts[1], parts[2] if parts[1] == "site" and len(parts) > 2 else None


def broken_rules(path):
    """The import rules of `possibility` that the module at `path` breaks."""
    own = side_of(module_name(path))
    if own is None:  # the package's own __init__: its docstring only
        return []
    own_side, own_plugin = own
    problems = {}  # one per import statement
    for target, line in imports_of(path):
        where = f"{path.relative_to(ROOT)}:{line} imports {target}"
        side = side_of(target)
        rule = None
        if own_side in ("core", "common") and target.split(".")[0] == "pelican":
            rule = f"{own_side} is free of Pelican"
        elif side is None:
            continue
        elif own_side == "common":
            rule = "common imports nothing of the package"
        elif own_side == "core" and side[0] in ("site", "commands"):
            rule = "core imports neither site nor commands"
        elif own_side == "commands" and side[0] == "site":
            rule = "only Pelican loads the site plugins"
        elif own_side == "site" and side[0] == "site" and side[1] not in (None, own_plugin):
            rule = "each site plugin stands alone"
        if rule:
            problems.setdefault(line, f"{where}: {rule}")
    return list(problems.values())


def test_the_package_keeps_its_import_rules():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50
    assert [p for m in modules for p in broken_rules(m)] == []


def test_the_authors_commands_and_benchmarks_never_import_the_site_plugins():
    scripts = [ROOT / "tasks.py", *sorted((ROOT / "bench").glob("*.py"))]
    imported = [(s.name, t) for s in scripts for t, _ in _top_level_imports(s)]
    assert any(t.startswith("possibility.commands") for _, t in imported)
    assert [(s, t) for s, t in imported if t.startswith("possibility.site")] == []


def _top_level_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names)


def test_the_rules_catch_what_they_forbid(tmp_path, monkeypatch):
    """The checker itself: each forbidden import is reported."""
    cases = {
        "core/bad.py": "from possibility.site.feeds import register\nimport pelican\n",
        "commands/bad.py": "from possibility.site.menu import register\n",
        "site/feeds/bad.py": "from possibility.site.menu import register\nfrom . import plan\n",
    }
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = []
    for relative, text in cases.items():
        path = tmp_path / "plugins" / "possibility" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        found += broken_rules(path)
    assert len(found) == 4
    assert "core imports neither site nor commands" in found[0]
    assert "core is free of Pelican" in found[1]
    assert "only Pelican loads the site plugins" in found[2]
    assert "each site plugin stands alone" in found[3]


def test_no_file_of_the_project_edits_sys_path():
    found = subprocess.run(
        ["git", "grep", "-n", "-e", "sys.path", "--", "*.py", "*.toml", "*.cfg", "*.sh",
         ".ci/*", ".github/*"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.splitlines()
    allowed = "publishconf.py:10:sys.path.append(os.path.dirname(os.path.abspath(__file__)))"
    strays = [line for line in found
              if line != allowed and not line.startswith("tests/test_layout.py")]
    assert strays == []


def test_no_file_of_the_project_names_a_folder_beside_it():
    found = subprocess.run(
        ["git", "grep", "-n", "-E", r"\.\./shared|\.\./\.library|parent / \"shared\"|"
         r"ROOT\.parent|parents\[[2-9]\]|parent\.parent\.parent", "--", ":!tests/test_layout.py"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.splitlines()
    assert found == []


def test_a_read_beside_the_project_fails_loudly(tmp_path):
    """What conftest installs for the whole run: an open() outside the project is refused."""
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "spec.json").write_text("{}")
    roots = forbidden_roots(project)
    assert roots == (str(tmp_path / "shared"),)
    check = guard(roots)
    check("open", (str(project / "content" / "x.md"), "r", 0))
    with pytest.raises(OutsideRead, match="shared/spec.json is outside the project"):
        check("open", (str(tmp_path / "shared" / "spec.json"), "r", 0))
    with pytest.raises(OutsideRead):
        check("open", (str(project / ".." / "shared" / "spec.json"), "r", 0))
