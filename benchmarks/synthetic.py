"""Generate realistic synthetic post-mortems that follow FORMAT.md (version 1).

Used by benchmarks and tests that need many well-formed documents::

    python benchmarks/synthetic.py DIR N [--seed S]

Each document picks a service and a failure mode; the failure mode brings its own
vocabulary (mechanism, alerts, mitigations, action items), so incidents that share a
service or failure mode also share words, as real archives do. Contributing factors come
from a recurring pool, and some incidents list earlier incidents with the same service or
failure mode under ``related``. Output is deterministic for a given seed.

The wording is blameless on purpose: the templates never use the phrases a blameless
review avoids (see ``BANNED_PHRASES``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

BANNED_PHRASES = ("should have", "human error", "careless", "fault of", "blame")

RUNBOOKS = (
    "database-connection-saturation",
    "certificate-rotation",
    "kafka-consumer-lag",
    "rollback-a-deploy",
    "cdn-purge-and-failover",
)

# (service, ticket prefix, main dependency)
SERVICES: tuple[tuple[str, str, str], ...] = (
    ("payments-api", "PAY", "postgres-payments"),
    ("checkout-web", "CHK", "payments-api"),
    ("auth-service", "AUTH", "redis-sessions"),
    ("identity-provider", "IDP", "ldap-directory"),
    ("search-api", "SRCH", "elasticsearch-main"),
    ("catalog-service", "CAT", "postgres-catalog"),
    ("inventory-service", "INV", "mysql-inventory"),
    ("order-service", "ORD", "kafka-orders"),
    ("shipping-api", "SHIP", "carrier-gateway"),
    ("notification-service", "NOTIF", "rabbitmq-notify"),
    ("email-sender", "MAIL", "smtp-relay"),
    ("sms-gateway", "SMS", "twilio-bridge"),
    ("billing-worker", "BILL", "postgres-billing"),
    ("invoice-service", "INVC", "s3-invoices"),
    ("ledger-service", "LDG", "cockroach-ledger"),
    ("fraud-scoring", "FRD", "feature-store"),
    ("recommendations-api", "REC", "cassandra-recs"),
    ("ads-bidder", "ADS", "aerospike-bids"),
    ("media-transcoder", "MED", "gpu-pool"),
    ("image-resizer", "IMG", "s3-media"),
    ("cdn-edge", "CDN", "origin-shield"),
    ("api-gateway", "GW", "envoy-fleet"),
    ("graphql-gateway", "GQL", "apollo-router"),
    ("session-store", "SESS", "redis-cluster"),
    ("feature-flags", "FF", "flag-evaluator"),
    ("config-service", "CFG", "etcd-config"),
    ("user-profile", "USR", "dynamodb-profiles"),
    ("accounts-api", "ACC", "postgres-accounts"),
    ("mobile-bff", "MOB", "graphql-gateway"),
    ("web-frontend", "WEB", "cdn-edge"),
    ("analytics-ingest", "ANA", "kafka-events"),
    ("event-pipeline", "EVT", "flink-jobs"),
    ("warehouse-loader", "DWH", "snowflake-loader"),
    ("reporting-service", "RPT", "clickhouse-reports"),
    ("scheduler-cron", "SCHED", "k8s-cronjobs"),
    ("webhook-dispatcher", "HOOK", "sqs-webhooks"),
    ("chat-service", "CHAT", "websocket-fleet"),
    ("maps-geocoder", "GEO", "tile-cache"),
    ("pricing-engine", "PRC", "memcached-pricing"),
    ("loyalty-points", "LOY", "mongodb-loyalty"),
)


@dataclass(frozen=True)
class FailureMode:
    """A failure mode: its tag and the vocabulary incidents of that kind use."""

    tag: str
    phrase: str
    keywords: tuple[str, ...]
    alerts: tuple[str, ...]
    causes: tuple[str, ...]
    mitigations: tuple[str, ...]
    actions: tuple[tuple[str, str], ...]
    runbook: str | None = None


def _mode(
    tag: str,
    phrase: str,
    keywords: str,
    alerts: str,
    causes: Sequence[str],
    mitigations: Sequence[str],
    actions: Sequence[tuple[str, str]],
    runbook: str | None = None,
) -> FailureMode:
    return FailureMode(
        tag,
        phrase,
        tuple(keywords.split()),
        tuple(alerts.split()),
        tuple(causes),
        tuple(mitigations),
        tuple(actions),
        runbook,
    )


MODES: tuple[FailureMode, ...] = (
    _mode(
        "connection-pool-exhaustion",
        "connection pool exhaustion",
        "pool saturation max_connections pgbouncer idle-in-transaction checkout-timeout "
        "leaked-connections backlog acquire waiters hikari",
        "DBPoolSaturationHigh ConnectionAcquireTimeout PgbouncerWaitingClients",
        [
            "Every pod of {service} opened up to {n} connections to {dep}, so the fleet "
            "asked for more than max_connections allowed once the autoscaler added replicas.",
            "A slow query held connections for {secs} seconds; waiters piled up in the pool "
            "and requests timed out while acquiring a connection.",
        ],
        [
            "scaled {service} down to {n} replicas to bring the connection count under the limit",
            "raised the pgbouncer pool size and recycled idle-in-transaction sessions",
        ],
        [
            ("Alert on pool saturation above 80%", "Detection"),
            ("Size the pool per database, not per pod", "Prevention"),
            ("Add a connection budget check to the deploy pipeline", "Prevention"),
        ],
        "database-connection-saturation",
    ),
    _mode(
        "certificate-expiry",
        "an expired TLS certificate",
        "certificate x509 expiry renewal cert-manager acme issuer intermediate chain "
        "handshake truststore letsencrypt",
        "CertificateExpiringSoon TLSHandshakeErrors BlackboxProbeSSLFailed",
        [
            "The certificate for {host} expired because the renewal job had been failing "
            "silently for {n} days after an issuer configuration change.",
            "cert-manager renewed the leaf certificate but the intermediate chain bundled "
            "with it was missing, so older clients failed the TLS handshake.",
        ],
        [
            "issued a new certificate by hand and reloaded the ingress controllers",
            "rolled the truststore bundle back to the previous chain",
        ],
        [
            ("Alert 21 days before any certificate expires", "Detection"),
            ("Page on failed renewal jobs, not only on expiry", "Detection"),
            ("Inventory every certificate and its owner", "Process"),
        ],
        "certificate-rotation",
    ),
    _mode(
        "kafka-consumer-lag",
        "Kafka consumer lag",
        "kafka consumer lag partition rebalance offset commit throughput backpressure topic broker",
        "KafkaConsumerLagHigh ConsumerGroupRebalancing TopicBacklogGrowing",
        [
            "The {service} consumer group rebalanced every few minutes because processing "
            "a batch took longer than max.poll.interval.ms, so lag on {dep} grew to "
            "{big} messages.",
            "A poison message on partition {n} made the consumer retry forever, holding "
            "the offset and stalling everything behind it.",
        ],
        [
            "raised max.poll.interval.ms and reduced the batch size so the group stabilised",
            "skipped the poison message to a dead-letter topic and replayed the backlog",
        ],
        [
            ("Alert on consumer lag in seconds, not messages", "Detection"),
            ("Route poison messages to a dead-letter topic", "Prevention"),
            ("Document how to replay a partition from an offset", "Mitigation"),
        ],
        "kafka-consumer-lag",
    ),
    _mode(
        "bad-deploy",
        "a faulty deploy",
        "deploy release rollout canary regression changelog artifact build pipeline "
        "version rollback",
        "ErrorRateAboveSLO DeployHealthCheckFailed CanaryAnalysisFailed",
        [
            "Release {deploy} of {service} changed a serialisation default, so responses "
            "were rejected by {dep} which still expected the old schema.",
            "The rollout of {deploy} reached all regions within {mins} minutes because the "
            "canary stage was marked optional for that pipeline.",
        ],
        [
            "rolled {service} back to the previous release",
            "paused the rollout and pinned the previous artifact in every region",
        ],
        [
            ("Make the canary stage mandatory for all services", "Prevention"),
            ("Add contract tests between {service} and {dep}", "Prevention"),
            ("Announce rollbacks automatically in the incident channel", "Process"),
        ],
        "rollback-a-deploy",
    ),
    _mode(
        "config-change",
        "a configuration change",
        "configuration flag yaml override templating helm values drift propagation "
        "reload validation",
        "ConfigReloadFailed ErrorRateAboveSLO ConfigDriftDetected",
        [
            "A configuration change to {service} set the timeout to {ms} milliseconds "
            "instead of seconds; the value passed validation because the schema had no units.",
            "A helm values override meant for staging was merged into the production "
            "overlay and propagated to every cluster within {mins} minutes.",
        ],
        [
            "reverted the configuration change and forced a reload on all pods",
            "restored the previous values file from the config repository",
        ],
        [
            ("Validate units in the configuration schema", "Prevention"),
            ("Send config-only changes through the canary stage", "Prevention"),
            ("Show a diff of rendered manifests in review", "Process"),
        ],
        "rollback-a-deploy",
    ),
    _mode(
        "memory-leak",
        "a memory leak",
        "heap memory leak oomkilled garbage-collection allocation profiler retention rss cgroup",
        "ContainerOOMKilled HeapUsageHigh PodRestartsFrequent",
        [
            "A cache inside {service} kept a reference to every request context, so heap "
            "usage grew by about {n} MB per hour until the pods were OOMKilled.",
            "A new client library allocated buffers that were never released; resident "
            "memory reached the cgroup limit after {hours} hours of traffic.",
        ],
        [
            "restarted the pods on a rolling schedule to keep memory under the limit",
            "rolled back the client library upgrade",
        ],
        [
            ("Capture a heap profile automatically before OOM kills", "Detection"),
            ("Bound the request-context cache", "Prevention"),
            ("Run a soak test for library upgrades", "Prevention"),
        ],
    ),
    _mode(
        "disk-full",
        "a full disk",
        "disk volume filesystem inode retention logrotate compaction wal ebs capacity",
        "DiskSpaceLow VolumeFillingUp NodeFilesystemAlmostOutOfSpace",
        [
            "Write-ahead log segments on {dep} were not archived after the archive target "
            "changed, and the volume filled at about {pct}% per hour.",
            "Debug logging left enabled on {service} wrote {n} GB per hour and logrotate "
            "could not keep up.",
        ],
        [
            "expanded the volume online and deleted archived segments",
            "turned debug logging off and truncated the oldest log files",
        ],
        [
            ("Alert on the time until the disk is full", "Detection"),
            ("Cap log volume per pod", "Prevention"),
            ("Automate volume expansion at 85% usage", "Mitigation"),
        ],
    ),
    _mode(
        "dns-misconfiguration",
        "a DNS misconfiguration",
        "dns resolver record cname ttl zone nxdomain coredns route53 propagation",
        "DNSResolutionFailures NXDOMAINSpike CoreDNSLatencyHigh",
        [
            "A record for {host} was deleted by an infrastructure change that renamed the "
            "zone resource, and clients began receiving NXDOMAIN once the "
            "TTL of {secs} seconds expired.",
            "CoreDNS pods were throttled on CPU, so lookups from {service} took seconds and "
            "upstream calls timed out.",
        ],
        [
            "recreated the DNS record by hand and lowered the TTL",
            "scaled CoreDNS and enabled node-local caching",
        ],
        [
            ("Protect production DNS records from deletion", "Prevention"),
            ("Probe critical hostnames from outside the network", "Detection"),
            ("Run CoreDNS with guaranteed CPU", "Prevention"),
        ],
    ),
    _mode(
        "cache-stampede",
        "a cache stampede",
        "cache stampede miss eviction ttl warmup thundering memcached redis hit-ratio",
        "CacheHitRatioLow OriginRequestRateHigh BackendLatencyHigh",
        [
            "A cache flush during the deploy of {service} evicted every hot key at once, so "
            "{big} requests a minute fell through to {dep}.",
            "Keys for the pricing table all used the same TTL, expired together, and "
            "concurrent rebuilds saturated the database.",
        ],
        [
            "enabled request coalescing and warmed the cache from a snapshot",
            "throttled traffic at the gateway until the hit ratio recovered",
        ],
        [
            ("Add jitter to cache TTLs", "Prevention"),
            ("Coalesce concurrent cache rebuilds", "Prevention"),
            ("Alert on cache hit ratio drops", "Detection"),
        ],
    ),
    _mode(
        "retry-storm",
        "a retry storm",
        "retry backoff jitter amplification timeout circuit-breaker budget exponential "
        "idempotency overload",
        "UpstreamRequestRateSpike CircuitBreakerOpen RetryBudgetExceeded",
        [
            "Clients of {service} retried failed calls {n} times without backoff, which "
            "multiplied the load on {dep} while it was already degraded.",
            "Three layers each retried three times, so one user request became up to 27 "
            "calls to {dep}.",
        ],
        [
            "disabled retries at the edge and let the circuit breakers open",
            "shed load at the gateway until {dep} recovered",
        ],
        [
            ("Adopt a shared retry budget library", "Prevention"),
            ("Retry only at one layer", "Prevention"),
            ("Alert on retry rate per upstream", "Detection"),
        ],
    ),
    _mode(
        "network-partition",
        "a network partition",
        "network partition packet-loss bgp vpc peering subnet routing latency "
        "availability-zone transit",
        "PacketLossHigh CrossAZLatencyHigh BGPSessionDown",
        [
            "A routing change in the transit gateway dropped traffic between {region} "
            "availability zones, isolating the {dep} primary from half of {service}.",
            "A failed switch in the provider's data centre caused {pct}% packet loss on "
            "one subnet for {mins} minutes.",
        ],
        [
            "drained the affected availability zone and shifted traffic",
            "reverted the routing table change",
        ],
        [
            ("Run synthetic probes across availability zones", "Detection"),
            ("Practise zone evacuation quarterly", "Process"),
            ("Review route table changes with the network team", "Process"),
        ],
    ),
    _mode(
        "database-failover",
        "a database failover",
        "failover primary replica replication promotion patroni split-brain quorum lag standby",
        "ReplicationLagHigh PrimaryUnavailable PatroniLeaderChanged",
        [
            "The {dep} primary failed over after a host maintenance event; the replica "
            "that was promoted lagged by {secs} seconds and writes were lost or retried.",
            "Patroni lost quorum during an etcd upgrade and demoted the primary, leaving "
            "{service} without a writable database.",
        ],
        [
            "promoted the healthiest replica by hand and repointed connection strings",
            "restored quorum and reattached the standbys",
        ],
        [
            ("Test failover monthly in staging", "Process"),
            ("Alert on replication lag above five seconds", "Detection"),
            ("Use a read-write endpoint that follows the leader", "Prevention"),
        ],
        "database-connection-saturation",
    ),
    _mode(
        "rate-limiting",
        "a rate limit",
        "rate-limit quota throttling 429 token-bucket burst api-key upstream provider",
        "HTTP429RateHigh QuotaNearlyExhausted ThrottledRequests",
        [
            "A third-party provider lowered the quota for {service} to {n} requests per "
            "second without notice, and calls above it returned 429.",
            "A batch job shared the API key of {service} and consumed the whole rate "
            "limit during peak traffic.",
        ],
        [
            "paused the batch job and requested a temporary quota increase",
            "spread requests over two API keys",
        ],
        [
            ("Use separate API keys per workload", "Prevention"),
            ("Alert at 70% of quota", "Detection"),
            ("Track provider quota changes in the vendor review", "Process"),
        ],
    ),
    _mode(
        "dependency-outage",
        "a third-party dependency outage",
        "vendor provider outage status-page dependency sla fallback degradation "
        "integration upstream",
        "UpstreamErrorRateHigh VendorHealthCheckFailing DependencyTimeouts",
        [
            "The provider behind {dep} had a regional outage and {service} had no "
            "fallback path, so every dependent request failed.",
            "An upstream vendor changed an API response without a version bump and "
            "{service} could not parse it.",
        ],
        [
            "enabled the degraded mode that skips the provider",
            "switched to the secondary provider",
        ],
        [
            ("Build a fallback for the provider", "Prevention"),
            ("Subscribe the on-call to vendor status pages", "Detection"),
            ("Agree on API change notice with the vendor", "Process"),
        ],
    ),
    _mode(
        "cdn-misconfiguration",
        "a CDN misconfiguration",
        "cdn cache-control purge origin edge vary header surrogate-key shield pop",
        "OriginLoadHigh EdgeErrorRateHigh CacheMissRatioHigh",
        [
            "A cache rule change made the CDN ignore Cache-Control on {host}, so private "
            "pages were cached for {mins} minutes.",
            "A full purge sent all traffic to the origin at once and the origin shield "
            "could not absorb it.",
        ],
        [
            "purged the affected paths and restored the previous cache rules",
            "failed over to the secondary CDN",
        ],
        [
            ("Review CDN rule changes like code", "Process"),
            ("Purge by surrogate key instead of globally", "Prevention"),
            ("Alert on origin request rate", "Detection"),
        ],
        "cdn-purge-and-failover",
    ),
    _mode(
        "autoscaling-failure",
        "an autoscaling failure",
        "autoscaler hpa replicas scaling cpu-target capacity node-pool provisioning spot quota",
        "HPAMaxedOut PendingPodsHigh ClusterAutoscalerErrors",
        [
            "The horizontal pod autoscaler of {service} was capped at {n} replicas, below "
            "what the campaign traffic needed.",
            "The cluster autoscaler could not add nodes because the cloud account hit its "
            "instance quota in {region}.",
        ],
        [
            "raised the replica cap and added a node pool by hand",
            "requested a quota increase and moved pods to on-demand nodes",
        ],
        [
            ("Alert when autoscalers reach their maximum", "Detection"),
            ("Review instance quotas before campaigns", "Process"),
            ("Load test at twice the forecast peak", "Prevention"),
        ],
    ),
    _mode(
        "cpu-throttling",
        "CPU throttling",
        "cpu throttling cfs quota limits latency p99 cores saturation profiling",
        "CPUThrottlingHigh LatencyP99High ContainerCPUSaturated",
        [
            "CPU limits on {service} were lowered during a cost review and the CFS quota "
            "throttled request handling, raising p99 latency to {ms} ms.",
            "A regex in request validation became quadratic on long inputs and saturated "
            "every core.",
        ],
        [
            "removed the CPU limit and scaled out",
            "blocked the long inputs at the gateway",
        ],
        [
            ("Alert on CFS throttling ratio", "Detection"),
            ("Benchmark validation code with long inputs", "Prevention"),
            ("Review resource limit changes with owners", "Process"),
        ],
    ),
    _mode(
        "queue-backlog",
        "a queue backlog",
        "queue backlog worker consumer visibility-timeout redelivery sqs rabbitmq "
        "prefetch dead-letter",
        "QueueDepthHigh OldestMessageAgeHigh WorkerPoolSaturated",
        [
            "Workers of {service} slowed down after a dependency upgrade and the queue on "
            "{dep} grew to "
            "{big} messages.",
            "The visibility timeout was shorter than processing time, so messages were "
            "redelivered and processed several times.",
        ],
        [
            "added workers and raised the visibility timeout",
            "drained the backlog with a temporary worker fleet",
        ],
        [
            ("Alert on oldest message age", "Detection"),
            ("Set visibility timeout from measured processing time", "Prevention"),
            ("Make message handlers idempotent", "Prevention"),
        ],
    ),
    _mode(
        "schema-migration",
        "a schema migration",
        "migration schema ddl lock alter-table index backfill column online-ddl table-rewrite",
        "DBLockWaitHigh MigrationDurationExceeded QueryLatencyHigh",
        [
            "A migration added a column with a default to a {big}-row table on {dep}, "
            "rewriting it under an exclusive lock.",
            "An index was created without CONCURRENTLY and blocked writes from {service} "
            "for {mins} minutes.",
        ],
        [
            "cancelled the migration and released the lock",
            "ran the migration again with an online tool",
        ],
        [
            ("Lint migrations for locking operations", "Prevention"),
            ("Run large migrations outside peak hours", "Process"),
            ("Set a lock timeout for migrations", "Prevention"),
        ],
    ),
    _mode(
        "secret-rotation",
        "a secret rotation",
        "secret credential rotation vault token iam password key expiry kms",
        "AuthFailuresHigh VaultLeaseExpired CredentialRejected",
        [
            "A scheduled rotation in vault replaced the database password but {service} "
            "cached the old credential and was not restarted.",
            "An IAM access key of {service} was rotated before the new key reached every region.",
        ],
        [
            "restarted {service} to pick up the new credential",
            "restored the previous key until the rollout completed",
        ],
        [
            ("Reload credentials without restarts", "Prevention"),
            ("Rotate secrets with an overlap window", "Prevention"),
            ("Alert on authentication failures per service", "Detection"),
        ],
        "certificate-rotation",
    ),
    _mode(
        "clock-skew",
        "clock skew",
        "clock skew ntp chrony drift timestamp token-validity leap monotonic",
        "NTPOffsetHigh TokenValidationFailures ClockDriftDetected",
        [
            "Hosts in one node pool lost NTP sync after a firewall change and drifted by "
            "{secs} seconds, so signed tokens from {service} were rejected as not yet valid.",
            "A leap second smear was applied on some hosts but not others.",
        ],
        [
            "restored NTP access and forced a resync",
            "widened token validity leeway temporarily",
        ],
        [
            ("Alert on clock offset above 500 ms", "Detection"),
            ("Allow small leeway in token validation", "Prevention"),
            ("Include NTP in the firewall baseline", "Process"),
        ],
    ),
    _mode(
        "load-balancer-misconfiguration",
        "a load balancer misconfiguration",
        "load-balancer target-group health-check listener ingress haproxy envoy weights draining",
        "TargetGroupUnhealthy LBHTTP5xxHigh IngressBackendDown",
        [
            "A health check path for {service} was changed to an endpoint that requires "
            "authentication, and every target was marked unhealthy.",
            "Traffic weights on the ingress were set to send 100% to a draining pool.",
        ],
        [
            "restored the health check path",
            "reset the traffic weights and redeployed the ingress",
        ],
        [
            ("Use a dedicated unauthenticated health endpoint", "Prevention"),
            ("Validate load balancer changes in staging", "Process"),
            ("Alert when all targets are unhealthy", "Detection"),
        ],
    ),
    _mode(
        "data-corruption",
        "data corruption",
        "corruption integrity checksum duplicate inconsistent reconciliation backfill idempotency",
        "ReconciliationMismatch ChecksumErrors DuplicateRecordsDetected",
        [
            "A race between two writers in {service} produced duplicate records in {dep}, "
            "found by the nightly reconciliation.",
            "A backfill job ran twice and double-counted {big} rows.",
        ],
        [
            "stopped the writers and repaired records from the audit log",
            "reverted the affected rows from a point-in-time backup",
        ],
        [
            ("Add unique constraints on business keys", "Prevention"),
            ("Make the backfill idempotent", "Prevention"),
            ("Run reconciliation hourly", "Detection"),
        ],
    ),
    _mode(
        "feature-flag-misfire",
        "a feature flag misfire",
        "feature-flag toggle targeting rollout percentage cohort kill-switch evaluation",
        "FlagEvaluationErrors ErrorRateAboveSLO ConversionDrop",
        [
            "A feature flag meant for {pct}% of internal users targeted all users after "
            "a rule was reordered.",
            "The flag service of {service} returned defaults when it could not reach "
            "{dep}, silently enabling an unfinished code path.",
        ],
        [
            "turned the flag off with the kill switch",
            "pinned flag values in the local cache",
        ],
        [
            ("Require review for flag targeting changes", "Process"),
            ("Fail closed when flag evaluation fails", "Prevention"),
            ("Alert on flag-driven error rate changes", "Detection"),
        ],
    ),
    _mode(
        "thread-pool-exhaustion",
        "thread pool exhaustion",
        "thread-pool executor blocking deadlock worker-threads event-loop saturation "
        "jstack contention",
        "ThreadPoolQueueFull RequestQueueLatencyHigh EventLoopLag",
        [
            "A blocking call to {dep} on the event loop of {service} stalled all request "
            "handling once the latency of {dep} rose above {ms} ms.",
            "All worker threads waited on a lock held by a slow background task.",
        ],
        [
            "moved the blocking call to a bounded executor and redeployed",
            "restarted the pods to clear the stuck threads",
        ],
        [
            ("Alert on event loop lag", "Detection"),
            ("Bound every executor and set timeouts", "Prevention"),
            ("Capture thread dumps automatically", "Detection"),
        ],
    ),
    _mode(
        "storage-latency",
        "storage latency",
        "iops storage latency throughput burst-credits gp2 gp3 volume ebs nvme",
        "VolumeLatencyHigh BurstBalanceLow IOWaitHigh",
        [
            "The volume under {dep} exhausted its burst credits and fell back to baseline "
            "IOPS, so queries from {service} took {ms} ms.",
            "A noisy neighbour on shared storage doubled read latency.",
        ],
        [
            "moved the volume to provisioned IOPS",
            "failed over to a replica on different storage",
        ],
        [
            ("Alert on burst balance", "Detection"),
            ("Use provisioned IOPS for primary databases", "Prevention"),
            ("Review storage classes yearly", "Process"),
        ],
    ),
    _mode(
        "ddos-attack",
        "a traffic flood",
        "ddos flood botnet waf syn rate-limit scrubbing l7 traffic-spike",
        "RequestRateAnomaly WAFBlockRateHigh EdgeSaturation",
        [
            "A layer-7 flood of {big} requests per minute from a botnet hit the search "
            "endpoint of {service}.",
            "A partner integration looped and sent the same request continuously.",
        ],
        [
            "enabled WAF rules for the pattern and rate limited by client",
            "blocked the partner key and contacted the partner",
        ],
        [
            ("Keep WAF rules ready for common floods", "Mitigation"),
            ("Rate limit per client key by default", "Prevention"),
            ("Alert on request rate anomalies", "Detection"),
        ],
        "cdn-purge-and-failover",
    ),
    _mode(
        "cloud-provider-outage",
        "a cloud provider outage",
        "cloud provider region outage control-plane api degraded status availability multi-region",
        "CloudAPIErrors RegionHealthDegraded ControlPlaneUnreachable",
        [
            "The cloud provider had a control-plane outage in {region}; running "
            "instances kept working but {service} could not scale or deploy.",
            "A managed service used by {dep} was degraded in one region for {hours} hours.",
        ],
        [
            "shifted traffic to the secondary region",
            "froze deploys and waited for the provider to recover",
        ],
        [
            ("Practise regional failover", "Process"),
            ("Pre-provision capacity in the secondary region", "Prevention"),
            ("Track provider incidents in the on-call dashboard", "Detection"),
        ],
    ),
    _mode(
        "kubernetes-upgrade",
        "a Kubernetes upgrade",
        "kubernetes upgrade control-plane api-version deprecation kubelet cni eks node-drain",
        "KubeAPIErrors NodeNotReady PodsCrashLooping",
        [
            "The cluster upgrade removed an API version that the {service} manifests "
            "still used, and the deploy controller stopped reconciling.",
            "Draining nodes during the upgrade evicted all replicas of {service} at once "
            "because it had no pod disruption budget.",
        ],
        [
            "rolled the node pool back and restored the replicas",
            "updated the manifests to the supported API version",
        ],
        [
            ("Scan manifests for deprecated APIs before upgrades", "Prevention"),
            ("Require pod disruption budgets", "Prevention"),
            ("Upgrade staging a week earlier", "Process"),
        ],
    ),
    _mode(
        "crashloop",
        "a crash loop",
        "crashloopbackoff panic segfault startup liveness-probe exit-code restart stacktrace",
        "PodsCrashLooping ContainerRestartsHigh DeploymentReplicasUnavailable",
        [
            "{service} panicked on startup when a required environment variable was "
            "empty, and Kubernetes restarted it into CrashLoopBackOff.",
            "A liveness probe with a {secs}-second timeout killed pods that were busy "
            "warming caches.",
        ],
        [
            "restored the environment variable and restarted",
            "relaxed the liveness probe and added a startup probe",
        ],
        [
            ("Validate required settings at build time", "Prevention"),
            ("Use startup probes for slow starts", "Prevention"),
            ("Alert on restart rate", "Detection"),
        ],
    ),
    _mode(
        "slow-query",
        "a slow query",
        "slow-query query-plan index sequential-scan statistics analyze optimizer "
        "explain n-plus-one",
        "QueryLatencyHigh DBCPUHigh SlowQueryLogSpike",
        [
            "After a statistics refresh the optimizer chose a sequential scan for the "
            "main lookup query of {service}, raising database CPU to {pct}%.",
            "A new endpoint issued one query per item, an N+1 pattern that ran {big} "
            "queries a minute against {dep}.",
        ],
        [
            "added the missing index and analysed the table",
            "disabled the endpoint with a feature flag",
        ],
        [
            ("Review query plans in CI for hot queries", "Prevention"),
            ("Alert on database CPU per query fingerprint", "Detection"),
            ("Detect N+1 patterns in tests", "Prevention"),
        ],
        "database-connection-saturation",
    ),
    _mode(
        "backup-failure",
        "a backup failure",
        "backup snapshot restore retention point-in-time archive verification rpo",
        "BackupJobFailed SnapshotAgeHigh RestoreTestFailed",
        [
            "Nightly backups of {dep} had failed for {n} days because the backup role "
            "lost permission to the bucket.",
            "A restore test found that snapshots lacked the WAL segments needed for "
            "point-in-time recovery.",
        ],
        [
            "restored permissions and took a fresh snapshot",
            "re-enabled WAL archiving and verified a restore",
        ],
        [
            ("Alert on backup age", "Detection"),
            ("Run restore tests weekly", "Process"),
            ("Manage backup permissions in code", "Prevention"),
        ],
    ),
    _mode(
        "search-index-corruption",
        "a search index problem",
        "elasticsearch shard reindex mapping replica cluster-red heap segment alias",
        "ESClusterRed ShardsUnassigned SearchLatencyHigh",
        [
            "A mapping change forced a reindex while the cluster of {dep} ran low on "
            "disk, leaving {n} shards unassigned.",
            "The alias switch after a reindex pointed at an empty index.",
        ],
        [
            "rolled the alias back to the previous index",
            "added data nodes and reallocated shards",
        ],
        [
            ("Check disk headroom before reindexing", "Prevention"),
            ("Verify document counts before alias switches", "Prevention"),
            ("Alert on unassigned shards", "Detection"),
        ],
    ),
    _mode(
        "payment-provider-errors",
        "payment provider errors",
        "payment gateway psp acquirer authorisation decline 3ds settlement webhook",
        "PaymentAuthFailuresHigh PSPLatencyHigh WebhookDeliveryFailed",
        [
            "The payment provider returned timeouts for {pct}% of authorisations and "
            "{service} had no second provider configured.",
            "The provider changed its webhook signature scheme and {service} rejected "
            "all settlement callbacks.",
        ],
        [
            "routed card payments to the secondary provider",
            "accepted both signature schemes during the transition",
        ],
        [
            ("Route payments across two providers", "Prevention"),
            ("Alert on authorisation success rate", "Detection"),
            ("Track provider changelog announcements", "Process"),
        ],
    ),
    _mode(
        "websocket-disconnects",
        "websocket disconnects",
        "websocket connection idle-timeout reconnect keepalive sticky-session fan-out heartbeat",
        "WebsocketDisconnectRateHigh ReconnectStorm ActiveConnectionsDrop",
        [
            "A load balancer idle timeout of {secs} seconds closed websocket connections "
            "of {service} that had no heartbeat.",
            "All clients reconnected at once after a deploy and overloaded the session store.",
        ],
        [
            "raised the idle timeout and enabled heartbeats",
            "added reconnect jitter on the client",
        ],
        [
            ("Send heartbeats every 30 seconds", "Prevention"),
            ("Add jitter to client reconnects", "Prevention"),
            ("Alert on disconnect rate", "Detection"),
        ],
    ),
    _mode(
        "timezone-bug",
        "a date and timezone bug",
        "timezone utc dst daylight-saving offset calendar cron locale date-parsing",
        "ScheduledJobMissed DataFreshnessLow BatchJobFailed",
        [
            "The daylight-saving change shifted a cron schedule of {service} by an hour, "
            "and two jobs ran at the same time against {dep}.",
            "Dates were parsed in local time on one host and UTC on others.",
        ],
        [
            "reran the missed jobs in order",
            "pinned all schedulers to UTC",
        ],
        [
            ("Run all schedules in UTC", "Prevention"),
            ("Test date handling across DST boundaries", "Prevention"),
            ("Alert on missed scheduled runs", "Detection"),
        ],
    ),
    _mode(
        "observability-gap",
        "an observability gap",
        "metrics logging tracing cardinality scrape prometheus dashboard retention sampling",
        "PrometheusScrapeFailures TargetDown MetricsIngestionDropped",
        [
            "Metrics for {service} stopped arriving after a label change exploded "
            "cardinality and Prometheus dropped the series.",
            "The log pipeline sampled errors at {pct}% during the incident window.",
        ],
        [
            "reverted the label change and restarted the scraper",
            "turned sampling off for error logs",
        ],
        [
            ("Alert on missing metrics, not only on values", "Detection"),
            ("Limit label cardinality in client libraries", "Prevention"),
            ("Review sampling settings for error logs", "Process"),
        ],
    ),
    _mode(
        "access-control-error",
        "an access control error",
        "iam permission policy rbac role access-denied least-privilege bucket-policy",
        "AccessDeniedSpike PermissionErrors S3403Rate",
        [
            "A policy change meant to tighten access removed the role of {service} from "
            "the bucket policy of {dep}.",
            "An RBAC role binding was deleted during cleanup and the controller of "
            "{service} could no longer list pods.",
        ],
        [
            "restored the policy from version history",
            "recreated the role binding",
        ],
        [
            ("Simulate policy changes before applying", "Prevention"),
            ("Alert on access-denied rate per role", "Detection"),
            ("Review permission cleanup with service owners", "Process"),
        ],
    ),
    _mode(
        "capacity-planning",
        "insufficient capacity",
        "capacity headroom forecast peak campaign saturation provisioning load-test",
        "CPUUtilisationHigh LatencyP99High CapacityHeadroomLow",
        [
            "A marketing campaign tripled traffic to {service} and the fleet had {pct}% headroom.",
            "Seasonal peak arrived a week earlier than the forecast.",
        ],
        [
            "scaled the fleet and enabled the waiting room",
            "shed non-critical traffic",
        ],
        [
            ("Share the campaign calendar with SRE", "Process"),
            ("Load test before seasonal peaks", "Prevention"),
            ("Alert on headroom below 30%", "Detection"),
        ],
    ),
    _mode(
        "ci-pipeline-failure",
        "a CI pipeline failure",
        "ci pipeline runner build artifact registry cache flaky job executor",
        "PipelineFailureRateHigh RunnerQueueLong ArtifactUploadFailed",
        [
            "The artifact registry rejected uploads after its storage quota filled, so "
            "no build of {service} could be released for {hours} hours.",
            "Self-hosted runners were deregistered by an expired token.",
        ],
        [
            "cleaned old artifacts and raised the quota",
            "re-registered the runners with a new token",
        ],
        [
            ("Alert on registry storage usage", "Detection"),
            ("Rotate runner tokens automatically", "Prevention"),
            ("Keep a documented hotfix path outside CI", "Mitigation"),
        ],
    ),
)

FACTORS: tuple[tuple[str, str], ...] = (
    ("process", "Config-only deploys skip the canary stage"),
    ("technical", "Pool size was set per pod, not per database"),
    ("technical", "No alert covered the saturation of the dependency"),
    ("process", "The runbook described a retired architecture"),
    ("organizational", "Ownership of the component was unclear after a reorganisation"),
    ("technical", "Retries had no backoff or budget"),
    ("technical", "Timeouts were longer than the caller's timeout"),
    ("process", "The change was merged late on a Friday without a second reviewer"),
    ("environmental", "Traffic was twice the usual level because of a campaign"),
    ("environmental", "The cloud provider was degraded in the same region"),
    ("technical", "Dashboards aggregated all regions and hid the failing one"),
    ("process", "Load tests did not cover the new code path"),
    ("organizational", "The on-call rotation had a single engineer for two services"),
    ("technical", "Health checks did not exercise the dependency"),
    ("process", "Staging data was much smaller than production data"),
    ("technical", "Autoscaling reacted to CPU while the bottleneck was I/O"),
    ("organizational", "The vendor contact list was out of date"),
    ("process", "The incident was declared 20 minutes after the first alert"),
    ("technical", "A shared library upgrade changed a default silently"),
    ("environmental", "A regional network event increased latency between zones"),
    ("process", "The rollback procedure had not been practised"),
    ("technical", "Caches shared one TTL and expired together"),
    ("organizational", "Two teams changed the same configuration in one week"),
    ("technical", "Alerts were routed to a channel nobody watched at night"),
    ("process", "Migration review did not check for table locks"),
    ("technical", "The service had no pod disruption budget"),
    ("environmental", "A scheduled provider maintenance overlapped with the deploy"),
    ("organizational", "Knowledge of the legacy system sat with one engineer"),
    ("technical", "Log sampling dropped most error messages"),
    ("process", "Certificate renewals were tracked in a spreadsheet"),
    ("technical", "The client library retried non-idempotent requests"),
    ("process", "Change freeze exceptions were approved without a risk review"),
    ("organizational", "The team that owned the dependency was in another time zone"),
    ("environmental", "A public holiday reduced the number of engineers available"),
    ("technical", "Feature flags defaulted to enabled when the flag service was unreachable"),
    ("process", "Game days had never covered this dependency"),
)


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("|") if p.strip())


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


HANDLES = tuple(
    "@" + h
    for h in _words(
        "dana lee sam kim alex jo priya omar mei lars ana tomas ines yuki ravi chen noor "
        "felix greta hugo ida jonas kai lena milo nina oskar pia rosa sven tara uma vera "
        "wen xavi yara zoe amir bea cyril dora emil fatima goran hana ivan jade"
    )
)
REGIONS = _words(
    "eu-west-1 eu-west-2 eu-central-1 eu-north-1 us-east-1 us-east-2 us-west-2 ca-central-1 "
    "ap-southeast-1 ap-southeast-2 ap-northeast-1 ap-south-1 sa-east-1 af-south-1"
)
SLOS = ("availability", "latency", "freshness", "error-budget", "durability", "correctness")
SEVERITIES = ("SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4")
SYMPTOMS = _phrases(
    "Elevated errors|Latency and errors|Partial outage|Degraded performance|Failed requests|"
    "Delayed processing|Intermittent failures|Full outage|Stale data|Timeouts|"
    "Slow responses|Dropped requests|Missing data|Duplicate processing|Login failures"
)

# Generic slots used by the sentence templates; each use draws a fresh value.
_WORDS: dict[str, tuple[str, ...]] = {
    "team": _phrases(
        "platform|database reliability|networking|payments|storefront|identity|data platform|"
        "mobile|edge|developer productivity|observability|security engineering|search|"
        "messaging|growth|fulfilment|billing|core infrastructure|customer support tooling"
    ),
    "tool": _phrases(
        "Grafana|Kibana|Honeycomb|Jaeger traces|the Datadog dashboard|pg_stat_activity|"
        "kubectl top|the flame graph|the audit log|CloudWatch|the error tracker|Loki|"
        "the service map|tcpdump|strace|Sentry|New Relic|the Splunk search|Tempo|perf|"
        "the pprof profile|Wireshark|the Prometheus console|OpenTelemetry spans|Lightstep"
    ),
    "metric": _phrases(
        "p99 latency|error rate|saturation|queue depth|connection count|CPU usage|heap usage|"
        "request rate|cache hit ratio|replication lag|disk usage|open file descriptors|"
        "GC pause time|retry rate|throughput|p95 latency|socket backlog|ephemeral port usage|"
        "goroutine count|thread count|IOPS|network egress|TCP retransmits|checkout conversion|"
        "apdex score|consumer lag|pending pods|eviction count|5xx ratio|timeout count"
    ),
    "tech": _words(
        "postgres mysql mariadb redis memcached kafka rabbitmq nats pulsar zookeeper etcd consul "
        "vault nomad terraform ansible puppet helm kustomize argocd flux spinnaker jenkins "
        "buildkite tekton envoy nginx haproxy traefik varnish fastly cloudflare akamai istio "
        "linkerd cilium calico flannel coredns bind unbound elasticsearch opensearch solr "
        "clickhouse cassandra scylladb dynamodb bigtable spanner cockroachdb tidb vitess "
        "pgbouncer proxysql patroni stolon debezium flink spark airflow dagster beam hadoop "
        "presto trino snowflake bigquery redshift druid pinot prometheus thanos cortex mimir "
        "loki fluentd fluentbit vector logstash otel-collector jaeger zipkin grpc protobuf "
        "graphql thrift avro openapi keycloak okta auth0 oauth saml jwt openssl boringssl "
        "letsencrypt cert-manager karpenter keda knative lambda fargate ecs eks gke aks "
        "openstack vmware firecracker containerd cri-o docker podman buildkit kaniko "
        "bazel gradle maven npm yarn pip poetry cargo golang java kotlin python ruby node "
        "rust scala elixir erlang php jvm netty tomcat jetty gunicorn uwsgi puma sidekiq "
        "celery resque temporal cadence hystrix resilience4j polly sentinel"
    ),
    "component": _phrases(
        "connection pool|load balancer|sidecar proxy|service mesh|readiness probe|"
        "liveness probe|admission webhook|ingress controller|node pool|autoscaler|"
        "message broker|write-ahead log|query planner|replication slot|read replica|"
        "session cache|token validator|rate limiter|circuit breaker|retry middleware|"
        "DNS resolver|service discovery agent|config loader|feature flag client|"
        "metrics exporter|log shipper|tracing agent|job scheduler|batch worker|"
        "webhook receiver|API client|serialisation layer|ORM|schema registry|"
        "object storage bucket|CDN edge node|origin shield|TLS terminator|NAT gateway|"
        "transit gateway|VPC peering link|route table|security group|firewall rule|"
        "certificate bundle|secrets sidecar|init container|cron controller|"
        "garbage collector|thread pool|event loop|compaction job|index builder|"
        "search shard|partition leader|consumer group|dead-letter queue|outbox table|"
        "payment router|fraud model|pricing cache|inventory reservation|order state machine"
    ),
    "feature": _phrases(
        "checkout|login|password reset|order history|search results|product pages|"
        "basket updates|push notifications|email receipts|invoice downloads|refunds|"
        "gift cards|loyalty balance|store locator|delivery tracking|seller dashboard|"
        "partner API|mobile sign-up|two-factor prompts|image uploads|video playback|"
        "chat messages|price quotes|subscription renewals|account settings|data exports|"
        "recommendations carousel|promotions banner|address autocomplete|webhooks to partners|"
        "nightly reports|marketplace listings|returns portal|support widget"
    ),
    "segment": _phrases(
        "enterprise customers|mobile users|new sign-ups|marketplace sellers|API partners|"
        "customers in Europe|customers in North America|customers in Asia Pacific|"
        "free-tier users|internal staff|merchants on the legacy plan|returning shoppers|"
        "users of the Android app|users of the iOS app|wholesale accounts"
    ),
    "verb": _phrases(
        "checks|compares|inspects|reviews|correlates|graphs|samples|queries|traces|confirms|"
        "bisects|profiles|greps"
    ),
    "verb_past": _phrases(
        "compared|graphed|sampled|traced|correlated|reviewed|profiled|bisected|replayed|"
        "reproduced|measured"
    ),
    "good": _phrases(
        "Paging reached the primary on-call within two minutes|"
        "The runbook steps worked as written|"
        "Rollback tooling completed in under five minutes|"
        "Customer support received a status update quickly|"
        "The incident channel stayed focused on mitigation|"
        "Tracing made the failing dependency obvious|"
        "The status page was updated within fifteen minutes|"
        "Engineers from three teams joined without being asked twice|"
        "Feature flags let us disable the path without a deploy|"
        "Synthetic checks detected the problem before customers reported it|"
        "Handover between time zones was smooth and documented|"
        "Capacity in the secondary region absorbed the shifted traffic|"
        "The incident commander kept a clear list of open questions|"
        "A recent game day had rehearsed almost the same failure|"
        "Circuit breakers contained the failure to one feature|"
        "The scribe kept the timeline accurate, which made this review easy|"
        "Vendor support answered within their contractual window|"
        "Read-only mode kept browsing available while writes failed|"
        "Dashboards linked from the alert showed the saturated resource immediately|"
        "The deploy pipeline blocked further releases automatically|"
        "Backups were recent and a restore was not needed in the end|"
        "Idempotent handlers meant replaying the backlog was safe"
    ),
    "bad": _phrases(
        "The first alert was a symptom alert with no link to a dashboard|"
        "Two engineers applied mitigations at the same time without announcing them|"
        "The status page lagged the internal channel by half an hour|"
        "Escalation to the vendor took longer than expected|"
        "Dashboards for the dependency were missing or stale|"
        "The runbook did not mention the newer deployment topology|"
        "We lacked a quick way to see which version ran in each region|"
        "Access to production consoles required an approval that took minutes|"
        "Alerts fired in several channels, which made the timeline hard to follow|"
        "Nobody owned communication with customer support at first|"
        "Local reproduction was impossible because staging differs from production|"
        "Logs rotated before the investigation could read them|"
        "The alert threshold had been tuned for last year's traffic|"
        "Several hypotheses were chased in parallel without a shared list|"
        "The rollback itself took longer than the deploy because caches had to warm|"
        "Metrics had a two-minute delay, so every change took long to verify|"
        "Paging escalated to a secondary who was on leave|"
        "Customer-facing error pages gave no hint of the outage|"
        "The dependency graph in the service catalogue was out of date|"
        "Mitigation required a manual step that only one engineer knew"
    ),
    "lucky": _phrases(
        "The incident started outside the peak shopping hours|"
        "An engineer familiar with the component happened to be online|"
        "A scheduled batch job that would have doubled the load was paused that day|"
        "The failing region carried the smallest share of traffic|"
        "A recent snapshot existed because of an unrelated migration|"
        "Most customers retried successfully within a few minutes"
    ),
    "lesson": _phrases(
        "Saturation signals give earlier warning than error rates|"
        "A change that is only configuration still changes production|"
        "Recovery tooling needs practice, not only documentation|"
        "Every dependency needs a degradation plan written before it fails|"
        "Defaults in shared libraries deserve the same review as code|"
        "Declaring an incident early costs little and saves coordination time|"
        "Observability must survive the failure it is meant to explain|"
        "Clear ownership makes escalation fast|"
        "Load tests must reflect production data volumes|"
        "Automation that runs silently needs alerts when it stops|"
        "Small, reversible changes keep incidents short|"
        "Customer-facing communication is part of mitigation|"
        "Limits that protect one component can starve another|"
        "Runbooks age as fast as the architecture they describe|"
        "Retries are load, and load needs a budget|"
        "What staging cannot reproduce needs a canary in production"
    ),
}

_NUMBERS: dict[str, tuple[str, ...]] = {
    "n": tuple(str(i) for i in range(2, 65)),
    "pct": tuple(str(i) for i in range(3, 98)),
    "ms": tuple(str(i) for i in range(120, 9501)),
    "secs": tuple(str(i) for i in range(5, 301)),
    "mins": tuple(str(i) for i in range(3, 91)),
    "hours": tuple(str(i) for i in range(2, 31)),
    "big": tuple(f"{i * 1000:,}" for i in range(12, 981)),
    "deploy": tuple(f"v{a}.{b}.{c}" for a in range(1, 10) for b in range(41) for c in range(21)),
    "region": REGIONS,
    "handle": HANDLES,
}
_SLOT_VALUES = {**_WORDS, **_NUMBERS}


class _Slots(dict):
    """Template fields: fixed per document, or drawn fresh each time they are used."""

    def __init__(self, rng: random.Random, fixed: dict[str, str]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        values = _SLOT_VALUES[key]
        return values[int(self.rng.random() * len(values))]  # rng.choice, 3x faster


_TRIGGERS = _phrases(
    "Deploy {deploy} of {service} starts rolling out|"
    "The {metric} of {dep} starts climbing|"
    "A scheduled job on {dep} begins its run|"
    "Traffic to {feature} rises above the weekly peak|"
    "An infrastructure change to the {component} is applied in {region}|"
    "The first failed requests to {service} appear in the logs"
)
_DETECTION_STEPS = (
    "{handle} acknowledges the page and opens {tool}",
    "Customer support reports failures in {feature} from {n} customers",
    "{handle} declares a {severity} incident in {channel}",
    "{handle} joins as incident commander",
    "{handle} posts a first update on the status page",
)
_INVESTIGATION_STEPS = (
    "{handle} {verb} the {metric} of {service} against the last deploy",
    "Graphs in {tool} show {metric} for {dep} at {pct}% of its limit",
    "{handle} pages the {team} team for {dep}",
    "{handle} {verb} {metric} in {tool}; the pattern matches {phrase}",
    "The team rules out the latest change to the {component}",
    "{handle} finds a spike of {keyword} messages in the logs of {service}",
    "{handle} proposes a mitigation and the incident commander approves it",
    "{handle} shares a graph of {metric} in {channel}",
)
_RECOVERY_STEPS = (
    "The {metric} of {service} returns to baseline",
    "{handle} confirms error rates are back under the SLO",
    "The backlog drains and {handle} stops the temporary workers",
    "{handle} updates the status page to monitoring",
    "{handle} hands over to {handle} for the follow-up",
)
_ELABORATIONS = (
    "The {metric} of {service} had been rising slowly for {n} days before the incident, "
    "below every alert threshold.",
    "In {tool}, the first {keyword} errors appeared at a rate of {n} per second, well "
    "before the customer-facing alert fired.",
    "During the investigation we {verb_past} {metric} across {region} and found the same "
    "{keyword} pattern in every zone.",
    "The {team} team confirmed that {dep} behaved as designed under the load it received.",
    "Requests that reached {dep} during the window took up to {ms} ms, against a budget "
    "of a few hundred milliseconds.",
    "The same {keyword} behaviour appeared briefly in staging {n} days earlier but did not "
    "trigger any alert there.",
    "About {pct}% of the failing requests came from {segment}, whose clients retry "
    "automatically on {keyword} errors.",
    "{service} talks to {dep} through the {component}, which is built on {tech} and had "
    "not been upgraded for {n} months.",
    "The first hypothesis pointed at the {component}, because {tech} logged warnings at the "
    "same time; it turned out to be unrelated.",
    "Our {tech} dashboards showed normal values because they sample every {secs} seconds "
    "and the spikes were shorter than that.",
    "{feature} and {feature} were the most visible symptoms for {segment}.",
    "The {component} in {region} recovered first, which helped confirm the diagnosis.",
    "We {verb_past} the behaviour afterwards in a test cluster running {tech} and saw the "
    "same {keyword} symptoms within {mins} minutes.",
    "Because {service} shares the {component} with {dep}, the problem spread beyond the "
    "original blast radius.",
    "A similar {keyword} warning had been filed as a low-priority ticket {n} weeks earlier.",
    "The {team} team noted that {tech} exposes a setting for this, but it was left at the "
    "value the vendor ships.",
    "Error budgets for {service} were already at {pct}% consumption for the quarter.",
    "Support volume for {feature} tripled during the window, mostly from {segment}.",
)
_FACTOR_NOTES = (
    "This made the failure reach {segment} before any alert fired.",
    "It had been discussed in a previous review of the {component}.",
    "The {team} team had planned to address it next quarter.",
    "It meant the {metric} gave no early signal.",
    "It lengthened the time to mitigate by about {mins} minutes.",
    "It is common across services that use {tech}.",
)


@dataclass(frozen=True)
class _Incident:
    """What the generator decided about one incident before writing it."""

    id: str
    day: date
    service: tuple[str, str, str]
    extra_services: tuple[str, ...]
    mode: FailureMode
    extra_tags: tuple[str, ...]
    factors: tuple[tuple[str, str], ...]
    related: tuple[str, ...]


def write_postmortems(directory: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` synthetic post-mortems into ``directory``; return their paths in date order."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for incident in _plan(rng, n):
        path = directory / f"{incident.id}.md"
        path.write_text(_render(rng, incident), encoding="utf-8")
        paths.append(path)
    return paths


def _plan(rng: random.Random, n: int) -> list[_Incident]:
    """Choose dates, services, modes, factors and ``related`` links for ``n`` incidents."""
    start, span = date(2019, 1, 1), (date(2025, 12, 31) - date(2019, 1, 1)).days
    days = sorted(start + timedelta(days=rng.randrange(span + 1)) for _ in range(n))
    earlier: dict[str, list[str]] = defaultdict(list)
    plans = []
    for number, day in enumerate(days, start=1):
        service = rng.choice(SERVICES)
        mode = rng.choice(MODES)
        incident_id = f"{day.isoformat()}-{service[0]}-{mode.tag}-{number}"
        same_both = sorted(set(earlier[service[0]]) & set(earlier[mode.tag]))
        candidates = same_both or earlier[service[0]] + earlier[mode.tag]
        related: tuple[str, ...] = ()
        if candidates and rng.random() < 0.3:
            related = tuple(sorted(set(rng.sample(candidates[-50:], min(len(candidates), 2)))))
        plans.append(
            _Incident(
                id=incident_id,
                day=day,
                service=service,
                extra_services=_extra_services(rng, service),
                mode=mode,
                extra_tags=_extra_tags(rng, mode),
                factors=tuple(rng.sample(FACTORS, rng.randint(1, 3))),
                related=related,
            )
        )
        earlier[service[0]].append(incident_id)
        earlier[mode.tag].append(incident_id)
    return plans


def _extra_services(rng: random.Random, service: tuple[str, str, str]) -> tuple[str, ...]:
    names = [s[0] for s in SERVICES if s[0] == service[2]]
    if rng.random() < 0.5:
        names.append(rng.choice(SERVICES)[0])
    return tuple(dict.fromkeys(n for n in names if n != service[0]))


def _extra_tags(rng: random.Random, mode: FailureMode) -> tuple[str, ...]:
    other = rng.choice(MODES).tag
    return (other,) if rng.random() < 0.6 and other != mode.tag else ()


def _render(rng: random.Random, incident: _Incident) -> str:
    """Render front matter and body for one incident."""
    service, _, dep = incident.service
    day = incident.day
    start = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))
    detected = start + timedelta(minutes=rng.randint(2, 45))
    mitigated = detected + timedelta(minutes=rng.randint(10, 240))
    resolved = mitigated + timedelta(minutes=rng.randint(10, 600))
    channel = f"#inc-{incident.id}"
    severity = rng.choice(SEVERITIES)
    host_domain = rng.choice(("example.com", "example.net", "internal.example"))
    slots = _Slots(
        rng,
        {
            "service": service,
            "dep": dep,
            "phrase": incident.mode.phrase,
            "channel": channel,
            "severity": severity,
            "host": f"{service}.{host_domain}",
            "keyword": rng.choice(incident.mode.keywords),
        },
    )
    times = (start, detected, mitigated, resolved)
    front = _front_matter(rng, incident, times, severity, channel)
    body = _body(rng, incident, slots, times)
    if "\nvisibility: public\n" in front:
        body = _publishable(body)
    return front + body


def _publishable(body: str) -> str:
    """A public post-mortem's body as its authors would write it (pmkb check warns, PM701,
    and the public build fails otherwise): nobody's @handle, no host in an internal domain
    outside `!!! internal` blocks. Rewritten after drawing, so the random stream is as before."""
    lines = []
    for line in body.split("\n"):
        if not line.startswith(("    ", "|")):  # internal blocks; action items (Owner)
            line = _HANDLE.sub("the on-call engineer", line).replace(
                ".internal.example", ".example.com"
            )
        lines.append(line)
    return "\n".join(lines)


_HANDLE = re.compile(r"(?<![\w.])@[a-z]+\b")


def _q(value: str) -> str:
    """Quote a YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def _minutes(a: datetime, b: datetime) -> int:
    return int((b - a).total_seconds() // 60)


def _front_matter(
    rng: random.Random,
    incident: _Incident,
    times: tuple[datetime, ...],
    severity: str,
    channel: str,
) -> str:
    service = incident.service[0]
    services = (service, *incident.extra_services)
    tags = (incident.mode.tag, *incident.extra_tags)
    minutes = _minutes(times[0], times[2])
    title = f"{rng.choice(SYMPTOMS)} in {service} after {incident.mode.phrase}"
    summary = f"About {rng.randint(1, 60)}% of {service} requests failed for {minutes} minutes."
    visibility = rng.choice(("internal", "internal", "public"))
    lines = [
        "---",
        f"title: {_q(title)}",
        f"date: {incident.day.isoformat()}",
        f"severity: {severity}",
        f"status: {rng.choice(('published', 'published', 'published', 'in-review'))}",
        f"visibility: {visibility}",
        f"services: [{', '.join(services)}]",
        f"tags: [{', '.join(tags)}]",
        f"authors: [{', '.join(_q(a) for a in rng.sample(HANDLES, rng.randint(1, 3)))}]",
        "timestamps:",
        *(
            f"  {name}: {t.isoformat()}Z"
            for name, t in zip(("started", "detected", "mitigated", "resolved"), times, strict=True)
        ),
        "impact:",
        f"  users_affected: {rng.randint(0, 250) * 100}",
        f"  slo_breached: [{service}-{rng.choice(SLOS)}]",
        f"  summary: {_q(summary)}",
        "roles:",
        *(
            f"  {role}: {_q(rng.choice(HANDLES))}"
            for role in ("incident_commander", "technical_lead", "communications_lead", "scribe")
        ),
        "contributing_factors:",
    ]
    for category, description in incident.factors:
        lines += [
            f"  - category: {category}",
            f"    description: {_q(description)}",
            f"    known_risk: {'true' if rng.random() < 0.3 else 'false'}",
        ]
    if incident.mode.runbook:
        lines.append(f"runbooks: [{incident.mode.runbook}]")
    if incident.related:
        lines.append(f"related: [{', '.join(incident.related)}]")
    lines.append(f"channel: {_q(channel)}")
    if visibility == "public":
        lines.append(f"public_summary: {_q(f'{title}; service is fully restored.')}")
    return "\n".join(lines) + "\n---\n\n"


def _bullets(rng: random.Random, key: str, lo: int, hi: int) -> list[str]:
    return [f"- {item}." for item in rng.sample(_WORDS[key], rng.randint(lo, hi))]


def _body(
    rng: random.Random, incident: _Incident, slots: _Slots, times: tuple[datetime, ...]
) -> str:
    """Sections in FORMAT.md order; optional ones appear in some documents only."""
    mode = incident.mode
    sections: dict[str, list[str]] = {
        "Summary": [_summary(rng, incident, slots, times)],
        "Impact": [_impact(incident, slots, times)],
        "Timeline": _timeline(rng, incident, slots, times),
    }
    if rng.random() < 0.5:
        sections["Detection"] = [_detection(rng, incident, times)]
    sections["Root cause"] = _root_cause(rng, mode, slots)
    if rng.random() < 0.3:
        sections["Five whys"] = _five_whys(incident)
    sections["Contributing factors"] = [
        f"- {d}. {_fill(rng.choice(_FACTOR_NOTES), slots)}" for _, d in incident.factors
    ]
    sections["What went well"] = _bullets(rng, "good", 3, 5)
    sections["What went badly"] = _bullets(rng, "bad", 3, 5)
    if rng.random() < 0.4:
        sections["Where we got lucky"] = _bullets(rng, "lucky", 1, 2)
    sections["Action items"] = _action_table(rng, incident, slots)
    sections["Lessons learned"] = _bullets(rng, "lesson", 2, 4)
    _pad(rng, sections, slots, target=rng.randint(850, 970))
    out = []
    for title, paragraphs in sections.items():
        list_like = paragraphs[0][:2] in ("- ", "1.") or paragraphs[0][:1] == "|"
        out.append(f"## {title}\n\n" + ("\n" if list_like else "\n\n").join(paragraphs) + "\n")
    if rng.random() < 0.2:
        host = f"{incident.service[1].lower()}-{rng.randint(1, 40):02d}.corp.example.net"
        out.insert(-1, f"!!! internal\n    The affected host was {host}.\n")
    return "\n".join(out)


def _fill(template: str, slots: _Slots) -> str:
    text = template.format_map(slots)
    return text[0].upper() + text[1:]


def _summary(
    rng: random.Random, incident: _Incident, slots: _Slots, times: tuple[datetime, ...]
) -> str:
    mitigation = rng.choice(incident.mode.mitigations).format_map(slots)
    return _fill(
        f"For {_minutes(times[0], times[2])} minutes, {{service}} served errors and slow "
        f"responses because of {{phrase}} involving {{dep}}. Most {{segment}} could not use "
        f"{{feature}}. The on-call engineers {mitigation}, and the service recovered at "
        f"{times[2]:%H:%M} UTC.",
        slots,
    )


def _impact(incident: _Incident, slots: _Slots, times: tuple[datetime, ...]) -> str:
    others = " and ".join(incident.extra_services) or "no other service"
    return _fill(
        "About {pct}% of requests to {service} failed or exceeded {ms} ms between "
        f"{times[0]:%H:%M} and {times[2]:%H:%M} UTC, mostly affecting {{feature}} for "
        f"{{segment}}. Downstream, {others} saw elevated {{metric}}. Customer support opened "
        "{n} tickets and the {team} team paused scheduled releases until the incident was "
        "resolved.",
        slots,
    )


def _detection(rng: random.Random, incident: _Incident, times: tuple[datetime, ...]) -> str:
    alert = rng.choice(incident.mode.alerts)
    delay = _minutes(times[0], times[1])
    return (
        f"The first signal was the `{alert}` alert at {times[1]:%H:%M}, {delay} minutes after "
        f"the problem started. Customers noticed it earlier than our monitoring did for "
        f"{incident.service[0]}, so part of the follow-up is a faster alert on the "
        f"{rng.choice(incident.mode.keywords)} signal."
    )


def _root_cause(rng: random.Random, mode: FailureMode, slots: _Slots) -> list[str]:
    first, second = rng.sample(mode.causes, 2) if len(mode.causes) > 1 else (mode.causes[0],) * 2
    words = rng.sample(mode.keywords, min(4, len(mode.keywords)))
    return [
        _fill(first, slots),
        f"The review found a second path to the same failure. {_fill(second, slots)}",
        f"The investigation focused on {', '.join(words[:-1])} and {words[-1]}, which "
        f"together explain how {mode.phrase} turned into customer-visible failures.",
    ]


def _five_whys(incident: _Incident) -> list[str]:
    service, _, dep = incident.service
    factor = incident.factors[0][1]
    return [
        f"1. Why did {service} fail? Requests to {dep} failed or timed out.",
        f"2. Why did requests to {dep} fail? Because of {incident.mode.phrase}.",
        "3. Why was it not caught earlier? No check covered this condition before release.",
        f"4. Why was there no such check? {factor}.",
        "5. Why did that persist? The risk had not been reviewed since the last redesign.",
    ]


def _clock(t: datetime, day: date) -> str:
    return f"{t:%H:%M}" if t.date() == day else f"{t:%Y-%m-%d %H:%M}"


def _steps(
    rng: random.Random, pool: Sequence[str], lo: datetime, hi: datetime, count: int
) -> list[tuple[datetime, str]]:
    """``count`` steps from ``pool`` in their listed order, at sorted times in [lo, hi]."""
    chosen = sorted(rng.sample(range(len(pool)), count))
    span = max(_minutes(lo, hi), 1)
    stamps = sorted(lo + timedelta(minutes=rng.randint(0, span)) for _ in chosen)
    return [(t, pool[i]) for t, i in zip(stamps, chosen, strict=True)]


def _timeline(
    rng: random.Random, incident: _Incident, slots: _Slots, times: tuple[datetime, ...]
) -> list[str]:
    start, detected, mitigated, resolved = times
    alert = rng.choice(incident.mode.alerts)
    mitigation = rng.choice(incident.mode.mitigations)
    middle = detected + (mitigated - detected) / 3
    events = [
        (start, rng.choice(_TRIGGERS)),
        (detected, f"Alert `{alert}` pages the on-call for {{service}}"),
        *_steps(rng, _DETECTION_STEPS, detected, middle, rng.randint(2, 4)),
        *_steps(rng, _INVESTIGATION_STEPS, middle, mitigated, rng.randint(2, 4)),
        (mitigated, f"The team {mitigation}; errors drop"),
        *_steps(rng, _RECOVERY_STEPS, mitigated, resolved, rng.randint(1, 3)),
        (resolved, "Incident resolved"),
    ]
    bold = rng.random() < 0.5
    lines = []
    for t, text in events:
        stamp = _clock(t, incident.day)
        lines.append(f"- {f'**{stamp}**' if bold else stamp} {_fill(text, slots)}.")
    return lines


_GENERIC_ACTIONS = (
    ("Add {metric} for {dep} to the service dashboard", "Detection"),
    ("Update the runbook for {service} with this incident", "Process"),
    ("Run a game day for {phrase}", "Process"),
    ("Document the rollback path for {service}", "Mitigation"),
    ("Upgrade the {component} to a supported {tech} version", "Prevention"),
    ("Add a degraded mode for {feature}", "Mitigation"),
)


def _action_table(rng: random.Random, incident: _Incident, slots: _Slots) -> list[str]:
    pool = list(incident.mode.actions) + rng.sample(_GENERIC_ACTIONS, 4)
    rows = ["| Action | Category | Owner | Due | Ticket | Status |", "|---|---|---|---|---|---|"]
    for text, category in rng.sample(pool, rng.randint(3, 7)):
        due = incident.day + timedelta(days=rng.randint(7, 90))
        ticket = f"{incident.service[1]}-{rng.randint(100, 9999)}"
        status = rng.choice(("open", "open", "done", "not-doing"))
        owner = rng.choice(HANDLES)
        rows.append(
            f"| {_fill(text, slots)} | {category} | {owner} | {due} | {ticket} | {status} |"
        )
    return rows


def _pad(rng: random.Random, sections: dict[str, list[str]], slots: _Slots, target: int) -> None:
    """Add elaborating sentences (each at most once) until the body reaches ``target`` words."""
    words = sum(len(p.split()) for ps in sections.values() for p in ps) + 2 * len(sections)
    pending = rng.sample(_ELABORATIONS, len(_ELABORATIONS))
    paragraph: list[str] = []
    while words < target and pending:
        sentence = _fill(pending.pop(), slots)
        paragraph.append(sentence)
        words += len(sentence.split())
        if len(paragraph) == 3:
            sections["Root cause"].append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        sections["Root cause"].append(" ".join(paragraph))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic post-mortems.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = write_postmortems(args.directory, args.n, args.seed)
    print(f"wrote {len(paths)} post-mortems to {args.directory}")


if __name__ == "__main__":
    main()
