"""Use cases and capabilities around the core (key storage, …), chosen by settings."""
