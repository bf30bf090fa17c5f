"""Pelican settings for the production site: absolute URLs, no drafts, clean output.

`SITEURL` comes from the environment so the same file serves a staging host, a
preview on 127.0.0.1 and the real domain.
"""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "https://www.thepossibilitypractice.com").rstrip("/")
RELATIVE_URLS = False
# Clean output without emptying the folder first: possibility.site.output_sync rewrites only the
# pages that changed and removes whatever the site no longer has (but OUTPUT_RETENTION).
DELETE_OUTPUT_DIRECTORY = False
OUTPUT_RETENTION = [".git"]

# Drafts and future-dated posts never reach the production site.
DRAFT_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
WITH_FUTURE_DATES = False
CACHE_PATH = ".cache/publish"
