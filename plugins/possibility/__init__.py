"""The Possibility Practice: the Pelican plugins, the newsletter and the author's commands.

The first level says where code runs:

- `possibility.site`: Pelican plugins. They run inside a `pelican` build, each wired by its
  `register()`, named in `PLUGINS` by dotted path (`"possibility.site.feeds"`).
- `possibility.core`: what both sides share, free of Pelican: the newsletter's `meta.json`
  contract, the due decision, the ledger and the backends; the signup audience file; a
  post's identity.
- `possibility.commands`: what the author's `invoke` tasks run after (or around) a build:
  publish (deploy targets in `commands.publish.deploy`), send, audience import and sync,
  new post.
- `possibility.common`: atomic writes, write-if-changed, settings validation, the one rule
  for an absolute SITEURL, and `PossibilityError`, the root of every error the package raises.

Import rules (checked by tests/test_layout.py):

- `site` and `commands` may import `core` and `common`;
- `core` imports neither `site` nor `commands` (nor Pelican);
- `common` imports nothing of the package;
- nothing imports `site`: only Pelican loads it.
"""
