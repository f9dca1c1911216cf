"""The test suite as a regular package: torch-fidelity installs a top-level ``tests`` package into
site-packages, which would otherwise shadow this folder for ``tests/ui/capture.py`` (``from tests...``)."""
