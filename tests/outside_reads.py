"""Refuse every file read beside the project: a user's clone has nothing there.

CI's clone happens to have a folder named shared beside it; the project, its tests included, must
never depend on it. conftest.py installs `guard(forbidden_roots(ROOT))` as an audit hook
for the whole test run, so an open() or a directory listing of anything in a folder next
to the project fails with OutsideRead, naming the path.
"""

import os
import sys
import tempfile
from pathlib import Path

EVENTS = ("open", "os.listdir", "os.scandir")


class OutsideRead(PermissionError):
    pass


def forbidden_roots(project):
    """The folders and files beside `project` (its siblings), as absolute paths.

    None when the project sits at the top of the file system or right in the temporary
    folder (where every program keeps its scratch files), and never a folder that holds the
    temporary folder, Python or the home folder.
    """
    project = Path(project).resolve()
    if project.parent in (Path(project.anchor), Path(tempfile.gettempdir()).resolve()):
        return ()
    needed = [Path(p).resolve() for p in (tempfile.gettempdir(), sys.prefix, sys.base_prefix,
                                          Path.home())]
    roots = []
    for entry in sorted(project.parent.iterdir()):
        entry = entry.resolve()
        if entry == project or any(entry == n or entry in n.parents for n in needed):
            continue
        roots.append(str(entry))
    return tuple(roots)


def guard(roots):
    """An audit hook that raises OutsideRead for a read under any of `roots`."""
    prefixes = tuple(roots)

    def check(event, args):
        if not prefixes or event not in EVENTS or not args:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        path = os.path.abspath(os.fsdecode(path))
        if any(path == r or path.startswith(r + os.sep) for r in prefixes):
            raise OutsideRead(f"{path} is outside the project: a user's clone has no such "
                              "file; copy what the project needs into it")

    return check
