"""Pelican plugins: code that runs inside a `pelican` build (see `possibility`)."""
