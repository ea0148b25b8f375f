"""The invoicing domain: plain Python, no I/O."""
