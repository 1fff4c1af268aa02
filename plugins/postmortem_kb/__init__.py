"""postmortem-kb: a knowledge base of incident post-mortems (validator, MkDocs plugin, CLI)."""
