"""openler: Learning and Employment Records."""
