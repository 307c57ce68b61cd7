"""pytest fixtures: pages."""
