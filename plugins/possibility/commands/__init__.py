"""What the author's `invoke` tasks run: publish, send, audience import and sync, new post."""
