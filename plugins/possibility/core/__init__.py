"""What the build and the author's commands share, free of Pelican (see `possibility`)."""
