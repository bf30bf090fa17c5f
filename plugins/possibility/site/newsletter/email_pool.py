"""Compose many posts' emails on all the machine's cores, results in the posts' order.

A cold build composes every email, a few milliseconds each, all in Python; a pool of
processes started for the build shares that work. It forks, so a worker starts at once
with everything imported and the templates compiled. A fork copies only the thread that
forks: a lock that another thread (Pelican's progress spinner, a file watcher) held at
that moment stays held in the worker, so a worker touches nothing such threads use: it
composes (pure computation), logs and warns nothing, and its output streams are new
ones. A worker that dies breaks the pool with an error, never a hang. Without fork, on
one core, for a few posts, or with NEWSLETTER_EMAIL_POOL = False (`build_settings`),
the emails are composed here, one after the other.

Each email comes back as its problems and its files packed (`email_store.pack`, done by
the worker too), one at a time as they are ready: the build stores each one before the
next, and never holds them all.

Emails are composed here until one is rendered, which compiles the templates: a
template's error is raised as it is, not through a worker. A worker's error is raised
here too.
"""

import gc
import logging
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

from possibility.common import worker_count

from .email_store import pack
from .post_email import compose

PARALLEL_FROM = 64  # fewer emails than this: starting processes costs more than it saves
CHUNK = 16  # emails a worker takes at a time

_job = None  # in a worker: (ns, templates, summary_rule, compress) of the build it serves


def compose_each(posts, ns, templates, summary_rule, compress=False, parallel=True):
    """(problems, packed files) of every PostSource in `posts`, in order, each as it is
    ready; `compress`: gzip each; `parallel`: on every core when it pays."""
    job = (ns, templates, summary_rule, compress)
    rest = iter(posts)
    left = len(posts)
    for post in rest:  # until the templates are compiled
        left -= 1
        email = compose(post, ns, templates, summary_rule)
        yield email.problems, pack(email, compress)
        if email.rendered is not None:
            break
    workers = _workers(left) if parallel else 1
    if workers < 2:
        for post in rest:
            yield _compose_with(job, post)
        return
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker, initargs=job,
    ) as pool:
        gc.freeze()  # a worker's garbage collector would otherwise copy every page it scans
        try:
            results = pool.map(_compose, rest, chunksize=CHUNK)  # the workers fork here
        finally:
            gc.unfreeze()
        yield from results


def _start_worker(*job):
    global _job
    _job = job
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    sys.stdout = sys.stderr = open(os.devnull, "w")  # open for the worker's life


def _compose(post):
    return _compose_with(_job, post)


def _compose_with(job, post):
    ns, templates, summary_rule, compress = job
    email = compose(post, ns, templates, summary_rule)
    return email.problems, pack(email, compress)


def _workers(count):
    """How many processes to use for `count` jobs: 1 means none but this one."""
    return worker_count(count, PARALLEL_FROM, CHUNK)
