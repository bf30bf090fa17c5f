"""The deploy step's one interface: send output/ to the configured target, say what changed.

Each target lives in its own module (`rsync`, `ghpages`, `s3`), imported only when chosen,
so a site on rsync never loads boto3; what they return and raise is in `result`, which
they import, so none of them imports this module.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .result import DeployError, DeployResult

__all__ = ["DeployError", "DeployResult", "deploy", "deploy_tree"]


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
