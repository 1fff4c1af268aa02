"""`pmkb import`: post-mortems written in other shapes, turned into format-v1 drafts."""
