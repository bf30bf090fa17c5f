"""The newsletter's core: the `meta.json` contract (`model`), the due decision (`due`), the
ledger, email rendering and checks, the settings, and the backends that deliver an email.

The build renders each post's email with it (`possibility.site.newsletter`); `invoke
newsletter-send` and `invoke publish` send with it (`possibility.commands.send`).
"""
