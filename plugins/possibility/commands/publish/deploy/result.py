"""What every deploy target returns (DeployResult) and raises (DeployError)."""

from dataclasses import dataclass

from possibility.commands.publish.report import count
from possibility.common import PossibilityError


class DeployError(PossibilityError):
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
