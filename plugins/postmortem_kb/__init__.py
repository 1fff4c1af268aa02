"""postmortem-kb: a knowledge base of incident post-mortems (validator, MkDocs plugin, CLI)."""

__version__ = "0.1.0"
