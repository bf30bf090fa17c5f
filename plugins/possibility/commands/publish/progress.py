"""Progress for long steps (build, upload): a rich bar on a terminal, nothing in tests.

A step asks `progress(description, total)` for a context manager that yields
`advance(count=1)`; `total=None` when the number of items is not known in advance.
"""

from contextlib import contextmanager


@contextmanager
def no_progress(description, total=None):
    yield lambda count=1: None


def rich_progress(console):
    """A progress factory that draws on `console` and disappears when the step ends."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    @contextmanager
    def progress(description, total=None):
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda count=1: bar.advance(task, count)

    return progress
