"""``python -m openler.cli``."""

from openler.cli import main

if __name__ == "__main__":
    main()
