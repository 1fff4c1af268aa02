"""Action items' tickets in Jira, GitHub and GitLab: which tracker a Ticket cell belongs to
(`keys`), each tracker's REST API (`jira`, `github`, `gitlab` behind `clients`), fetching
with bounded concurrency and retries (`fetch`), the offline cache the build reads
(`cache`), and what the cache says about one action item (`lookup`).

Only `pmkb tickets --refresh` touches the network; everything else reads the cache.
"""
