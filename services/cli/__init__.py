"""The `billing` admin command."""
