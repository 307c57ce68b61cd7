"""pytest fixtures: fake_glm."""
