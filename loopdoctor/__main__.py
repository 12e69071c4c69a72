"""``python -m loopdoctor`` runs the CLI."""

from loopdoctor.cli import main

if __name__ == "__main__":
    main()
