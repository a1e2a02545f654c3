"""Other data stores: Redis, MongoDB, Elasticsearch and Kafka."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="Redis",
        domain="databases",
        tags=("redis", "cache", "database"),
        lang="bash",
        config_lang="ini",
        nouns=(
            "key eviction",
            "pub/sub channel",
            "Lua script",
            "stream consumer group",
            "connection pool",
            "TTL",
        ),
        errors=(
            "OOM command not allowed when used memory > 'maxmemory'.",
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
            "persist to disk.",
            "READONLY You can't write against a read only replica.",
            "CROSSSLOT Keys in request don't hash to the same slot",
        ),
        howtos=(
            ("find the biggest keys", "redis-cli --bigkeys"),
            (
                "count keys by pattern without blocking",
                "redis-cli --scan --pattern 'session:*' | wc -l",
            ),
            ("watch commands live", "redis-cli MONITOR | head -100"),
            ("check memory use of one key", "redis-cli MEMORY USAGE session:42"),
            ("see slow commands", "redis-cli SLOWLOG GET 10"),
        ),
        settings=(
            ("maxmemory", "2gb", "leaves room for the fork during RDB saves"),
            ("maxmemory-policy", "allkeys-lru", "it is a cache; any key may go"),
            ("timeout", "300", "closes idle client connections"),
        ),
        gotchas=(
            "KEYS * blocks the server while it scans every key",
            "a key without a TTL in a cache lives until eviction",
            "MULTI/EXEC is not a rollback: commands after a failed one still run",
        ),
        code=(
            "redis-cli --scan --pattern 'cache:v1:*' \\\n  | xargs -n 500 redis-cli UNLINK",
            "redis-cli XGROUP CREATE orders workers $ MKSTREAM\n"
            "redis-cli XREADGROUP GROUP workers w1 COUNT 10 BLOCK 5000 STREAMS orders >",
        ),
        alts=("Memcached", "Valkey"),
    ),
    Tech(
        name="MongoDB",
        domain="databases",
        tags=("mongodb", "nosql", "database"),
        lang="js",
        config_lang="yaml",
        nouns=(
            "aggregation pipeline",
            "compound index",
            "replica set",
            "change stream",
            "TTL index",
            "write concern",
        ),
        errors=(
            "MongoServerError: E11000 duplicate key error collection: app.users index: email_1",
            "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017",
            "MongoServerError: Sort exceeded memory limit of 104857600 bytes",
            "MongoNetworkTimeoutError: connection timed out",
        ),
        howtos=(
            ("explain a slow find", "db.orders.find({ status: 'open' }).explain('executionStats')"),
            (
                "add a TTL index",
                "db.sessions.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 })",
            ),
            ("dump one collection", "mongodump --db app --collection orders --gzip"),
            ("see current operations", "db.currentOp({ secs_running: { $gt: 5 } })"),
            ("allow a big sort to spill", "db.orders.aggregate(pipeline, { allowDiskUse: true })"),
        ),
        settings=(
            ("storage.wiredTiger.engineConfig.cacheSizeGB", "4", "half the RAM minus 1 GB"),
            ("net.maxIncomingConnections", "2000", "room for every app replica's pool"),
            ("operationProfiling.slowOpThresholdMs", "200", "logs slow queries"),
        ),
        gotchas=(
            "an index on {a: 1, b: 1} does not help a query that filters on b alone",
            "the default write concern before 5.0 acknowledged writes only on the primary",
            "a $lookup without an index on the foreign field scans the whole collection",
        ),
        code=(
            "db.orders.aggregate([\n"
            "  { $match: { status: 'paid' } },\n"
            "  { $group: { _id: '$customerId', total: { $sum: '$amount' } } },\n"
            "  { $sort: { total: -1 } },\n"
            "  { $limit: 10 },\n"
            "]);",
            "const stream = db.collection('orders').watch([\n"
            "  { $match: { operationType: 'insert' } },\n"
            "]);\n"
            "for await (const change of stream) {\n"
            "  await notify(change.fullDocument);\n"
            "}",
        ),
        alts=("PostgreSQL with JSONB", "DynamoDB"),
    ),
    Tech(
        name="Elasticsearch",
        domain="databases",
        tags=("elasticsearch", "search", "database"),
        lang="json",
        config_lang="yaml",
        nouns=(
            "index mapping",
            "shard allocation",
            "analyzer",
            "bulk request",
            "index lifecycle policy",
            "scroll query",
        ),
        errors=(
            "cluster_block_exception: index [logs] blocked by: [FORBIDDEN/12/index read-only "
            "/ allow delete (api)]",
            "illegal_argument_exception: Fielddata is disabled on text fields by default",
            "circuit_breaking_exception: [parent] Data too large",
            "mapper_parsing_exception: failed to parse field [price] of type [long]",
        ),
        howtos=(
            ("see why a shard is unassigned", "GET _cluster/allocation/explain"),
            ("list indices by size", "GET _cat/indices?v&s=store.size:desc"),
            (
                "reindex into a new mapping",
                'POST _reindex { "source": { "index": "a" }, "dest": { "index": "b" } }',
            ),
            (
                "clear the read-only block",
                'PUT _all/_settings { "index.blocks.read_only_allow_delete": null }',
            ),
            ("test an analyzer", 'GET _analyze { "analyzer": "standard", "text": "Wi-Fi" }'),
        ),
        settings=(
            ("cluster.routing.allocation.disk.watermark.high", "90%", "stops new shards first"),
            ("indices.memory.index_buffer_size", "20%", "faster bulk indexing"),
            ("index.refresh_interval", "30s", "fewer segments during big imports"),
        ),
        gotchas=(
            "dynamic mapping guesses a field's type from the first document it sees",
            "deep pagination with from/size gets slower the further you go",
            "a text field cannot be sorted or aggregated without a keyword sub-field",
        ),
        code=(
            "{\n"
            '  "mappings": {\n'
            '    "properties": {\n'
            '      "title": { "type": "text", "fields": { "raw": { "type": "keyword" } } },\n'
            '      "price": { "type": "scaled_float", "scaling_factor": 100 }\n'
            "    }\n"
            "  }\n"
            "}",
            "{\n"
            '  "query": {\n'
            '    "bool": {\n'
            '      "must": { "match": { "title": "wireless charger" } },\n'
            '      "filter": { "range": { "price": { "lte": 50 } } }\n'
            "    }\n"
            "  }\n"
            "}",
        ),
        alts=("OpenSearch", "Meilisearch"),
    ),
    Tech(
        name="Kafka",
        domain="databases",
        tags=("kafka", "streaming", "messaging"),
        lang="bash",
        config_lang="ini",
        nouns=(
            "consumer group",
            "partition rebalance",
            "offset commit",
            "retention policy",
            "idempotent producer",
            "dead-letter topic",
        ),
        errors=(
            "org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be "
            "completed since the group has already rebalanced",
            "org.apache.kafka.common.errors.RecordTooLargeException: The message is 1843221 "
            "bytes when serialized",
            "NOT_ENOUGH_REPLICAS: Messages are rejected since there are fewer in-sync replicas "
            "than required",
            "TimeoutException: Topic orders not present in metadata after 60000 ms.",
        ),
        howtos=(
            (
                "see consumer lag",
                "kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe "
                "--group billing",
            ),
            (
                "reset offsets to a time",
                "kafka-consumer-groups.sh --group billing --topic orders --reset-offsets "
                "--to-datetime 2024-05-01T00:00:00.000 --execute",
            ),
            (
                "read a topic from the start",
                "kafka-console-consumer.sh --topic orders --from-beginning --max-messages 10",
            ),
            ("add partitions", "kafka-topics.sh --alter --topic orders --partitions 12"),
            ("list topics", "kafka-topics.sh --bootstrap-server localhost:9092 --list"),
        ),
        settings=(
            ("max.poll.interval.ms", "600000", "batch handlers take up to five minutes"),
            ("enable.idempotence", "true", "no duplicates on producer retries"),
            ("min.insync.replicas", "2", "with acks=all, survives one broker down"),
        ),
        gotchas=(
            "adding partitions changes which partition a key maps to",
            "auto-commit can mark a message done before the handler finished",
            "ordering holds only within one partition",
        ),
        code=(
            "kafka-configs.sh --bootstrap-server localhost:9092 \\\n"
            "  --entity-type topics --entity-name orders \\\n"
            "  --alter --add-config retention.ms=604800000",
            "kafka-topics.sh --bootstrap-server localhost:9092 \\\n"
            "  --create --topic orders.dlq --partitions 3 --replication-factor 3",
        ),
        alts=("RabbitMQ", "Redis Streams"),
    ),
)
