"""The author's side of the site: build, check, deploy, verify, send, report.

Not a Pelican plugin (it has no `register()`): `tasks.py` calls these functions,
and they drive Pelican and the plugins that are.
"""
