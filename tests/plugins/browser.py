"""pytest fixtures: browser."""
