"""The deploy step's one interface: send output/ to the configured target, say what changed.

Each target lives in its own module (`deploy_rsync`, `deploy_ghpages`, `deploy_s3`),
imported only when chosen, so a site on rsync never loads boto3.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from possibility.commands.publish.report import count


class DeployError(Exception):
    """The site could not be deployed; the message says what failed and what to do."""


@dataclass(frozen=True)
class DeployResult:
    """What a deploy changed (or, in a dry run, would change) at its target."""

    where: str
    uploaded: tuple = ()
    deleted: tuple = ()
    unchanged: int = 0
    dry_run: bool = False
    note: str = ""

    def summary(self):
        if self.note:
            return self.note
        verb = ("would upload", "would delete") if self.dry_run else ("uploaded", "deleted")
        return (
            f"{verb[0]} {count(len(self.uploaded), 'file')}, {verb[1]} {len(self.deleted)}, "
            f"{self.unchanged} unchanged: {self.where}"
        )


@contextmanager
def deploy_tree(output, exclude):
    """`output` as the public will see it: without the excluded top-level names.

    A tree of hard links beside `output` (same file system, no copying), so every target
    deploys the same files and deletes, at the target, what is no longer public.
    """
    output = Path(output)
    if not any((output / name).exists() for name in exclude):
        yield output
        return
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".deploy-") as folder:
        tree = Path(folder) / output.name
        skip = set(exclude)

        def ignore(directory, names):
            return [n for n in names if Path(directory) == output and n in skip]

        shutil.copytree(output, tree, ignore=ignore, copy_function=os.link)
        yield tree


def deploy(settings, output, dry_run, progress):
    """Deploy `output` as `settings` (PublishSettings) say; DeployError on failure."""
    if settings.target in ("rsync", "ghpages", "s3"):
        with deploy_tree(output, settings.exclude) as tree:
            return _deploy_to_target(settings, tree, dry_run, progress)
    return DeployResult(
        where=str(output),
        note=f"no DEPLOY_TARGET set: the site stays in {output}",
    )


def _deploy_to_target(settings, tree, dry_run, progress):
    if settings.target == "rsync":
        from .rsync import deploy_rsync

        return deploy_rsync(tree, settings.rsync, dry_run, progress)
    if settings.target == "ghpages":
        from .ghpages import deploy_ghpages

        return deploy_ghpages(tree, settings.ghpages, dry_run, progress)
    from .s3 import deploy_s3

    return deploy_s3(tree, settings.s3, dry_run, progress)
