"""The deploy step's one interface: send output/ to the configured target, say what changed.

Each target lives in its own module (`deploy_rsync`, `deploy_ghpages`, `deploy_s3`),
imported only when chosen, so a site on rsync never loads boto3.
"""

from dataclasses import dataclass

from .report import count


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



def deploy(settings, output, dry_run, progress):
    """Deploy `output` as `settings` (PublishSettings) say; DeployError on failure."""
    if settings.target == "rsync":
        from .deploy_rsync import deploy_rsync

        return deploy_rsync(output, settings.rsync, dry_run, progress)
    if settings.target == "ghpages":
        from .deploy_ghpages import deploy_ghpages

        return deploy_ghpages(output, settings.ghpages, dry_run, progress)
    if settings.target == "s3":
        from .deploy_s3 import deploy_s3

        return deploy_s3(output, settings.s3, dry_run, progress)
    return DeployResult(
        where=str(output),
        note=f"no DEPLOY_TARGET set: the site stays in {output}",
    )
