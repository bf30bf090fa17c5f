"""Every build warns about a post that still has `invoke new-post`'s sample text.

A post about to be published (not `Status: draft`) whose Summary or body is still the
sample new-post wrote is named, field by field, as a warning: the build goes on (the
author may be previewing), but `invoke publish` and `invoke newsletter-send` refuse it
(`possibility.core.newsletter.post_fields`):

    content/posts/x.md: field 'Summary' is still new-post's sample text: write one or two
    sentences of your own
"""

import logging
import os
from itertools import chain

from possibility.core.newsletter.post_fields import source_sample_problems

logger = logging.getLogger(__name__)
# Pelican's loggers drop a message the process logged already (its LimitFilter): the next
# build of `invoke livereload` must still warn.
if hasattr(logger, "disable_filter"):
    logger.disable_filter()


def warn_sample_text(generator):
    """Signal handler (article_generator_finalized)."""
    project = os.path.dirname(os.path.abspath(generator.settings["PATH"]))
    articles = chain(generator.articles, generator.hidden_articles, generator.drafts)
    for path in sorted({article.source_path for article in articles}):
        if not path.endswith((".md", ".markdown", ".mkd", ".mdown")):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                problems, draft = source_sample_problems(handle.read())
        except (OSError, UnicodeDecodeError):
            continue  # the reader has reported it already
        shown = os.path.relpath(path, project).replace(os.sep, "/")
        for problem in [] if draft else problems:
            logger.warning("%s: %s", shown, problem)
