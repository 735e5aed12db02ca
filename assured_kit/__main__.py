"""``python -m assured_kit`` runs the ``assured-kit`` command line."""

from assured_kit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
