"""What a reviewer of a change to the archive needs, per new or changed post-mortem: its
diagnostics, the past incidents most like it and the open action items of the incidents it
relates to (`pmkb review`, the pull request's job summary)."""
