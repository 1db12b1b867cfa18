"""modifier."""
