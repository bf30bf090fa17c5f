"""Compose many posts' emails on all the machine's cores, results in the posts' order.

A cold build composes every email, a few milliseconds each, all in Python; a pool of
processes started for the build shares that work. It forks, so a worker starts at once
with everything imported and the templates compiled. A fork copies only the thread that
forks: a lock that another thread (Pelican's progress spinner, a file watcher) held at
that moment stays held in the worker, so a worker touches nothing such threads use: it
composes (pure computation), logs and warns nothing, and its output streams are new
ones. A worker that dies breaks the pool with an error, never a hang. Without fork, on
one core, or for a few posts, the emails are composed here, one after the other.

Emails are composed here until one is rendered, which compiles the templates: a
template's error is raised as it is, not through a worker. A worker's error is raised
here too.
"""

import logging
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

from possibility.common import worker_count

from .post_email import compose

PARALLEL_FROM = 64  # fewer emails than this: starting processes costs more than it saves
CHUNK = 16  # emails a worker takes at a time

_job = None  # in a worker: (ns, templates, summary_rule) of the build it serves


def compose_all(posts, ns, templates, summary_rule):
    """[PostEmail] of every PostSource in `posts`, in order."""
    done = []
    for post in posts:
        done.append(compose(post, ns, templates, summary_rule))
        if done[-1].rendered is not None:
            break
    rest = posts[len(done):]
    workers = _workers(len(rest))
    if workers < 2:
        return done + [compose(post, ns, templates, summary_rule) for post in rest]
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker, initargs=(ns, templates, summary_rule),
    ) as pool:
        return done + list(pool.map(_compose, rest, chunksize=CHUNK))


def _start_worker(*job):
    global _job
    _job = job
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    sys.stdout = sys.stderr = open(os.devnull, "w")  # open for the worker's life


def _compose(post):
    ns, templates, summary_rule = _job
    return compose(post, ns, templates, summary_rule)


def _workers(count):
    """How many processes to use for `count` jobs: 1 means none but this one."""
    return worker_count(count, PARALLEL_FROM, CHUNK)
