package io.cairn.raft;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of a {@link RaftNode}, each with a configuration key. Sizes are bytes, times
 * milliseconds unless the key says otherwise. Every queue, buffer, batch and retry loop of the
 * replication path is bounded by one of these.
 *
 * @param storageDir              {@code raft.storage-dir}: Raft logs, metadata and snapshots (one subdirectory per group)
 * @param host                    {@code raft.host}: address to bind and advertise
 * @param port                    {@code raft.port}: gRPC port, 0 = ephemeral
 * @param clusterId               {@code raft.cluster-id}: seeds the group ids, so two clusters never share one
 * @param electionTimeoutMinMs    {@code raft.election.timeout-min-ms}
 * @param electionTimeoutMaxMs    {@code raft.election.timeout-max-ms}
 * @param requestTimeoutMs        {@code raft.rpc.request-timeout-ms}: server-to-server RPCs (Ratis's server request
 *                                timeout) and how long a FOLLOWER read waits for this node's replica to catch up
 * @param durability              {@code raft.durability}: STRICT fsyncs the log before a replica acks; RELAXED acks from the page cache
 * @param segmentSizeMaxBytes     {@code raft.log.segment-size-max-bytes}: log segment size; purging works in whole closed segments
 * @param appenderBufferBytes     {@code raft.log.appender.buffer-byte-limit}: most bytes in one AppendEntries
 * @param appenderBufferElements  {@code raft.log.appender.buffer-element-limit}: most entries in one AppendEntries
 * @param logQueueElements        {@code raft.log.queue-element-limit}: log worker queue, entries
 * @param logQueueBytes           {@code raft.log.queue-byte-limit}: log worker queue, bytes
 * @param segmentCacheBytes       {@code raft.log.segment-cache-bytes}: log entries cached in memory per group
 * @param purgeGap                {@code raft.log.purge-gap}: purge the log only when this many entries can go
 * @param purgeUpToSnapshot       {@code raft.log.purge-up-to-snapshot}: purge up to the snapshot even if a follower still needs the entries (it then gets the snapshot)
 * @param logMetadataEntries      {@code raft.log.metadata-entries}: after every commit the leader appends a Ratis metadata
 *                                entry holding the commit index (false by default: it doubles the log entries, fsyncs and
 *                                AppendEntries of a write, and only lets a restarted replica apply its log before it
 *                                hears from a leader; safety does not depend on it)
 * @param snapshotThreshold       {@code raft.snapshot.auto-trigger-threshold}: entries applied since the last snapshot that trigger a new one
 * @param snapshotRetention       {@code raft.snapshot.retention}: snapshot files kept per group
 * @param serverThreads           {@code raft.threads.server}: Ratis server executor, fixed size, PER GROUP (Ratis
 *                                creates one per division, so a node has partitions x this many)
 * @param clientThreads           {@code raft.threads.client}: Ratis executor replying to clients, PER GROUP
 * @param proxyThreads            {@code raft.threads.proxy}: Ratis executor for group management, per server
 * @param grpcAsyncThreads        {@code raft.grpc.async-request-threads}: gRPC server request executor
 * @param grpcMessageMaxBytes     {@code raft.grpc.message-size-max-bytes}: largest gRPC message (entries, snapshot chunks)
 * @param clientRetryAttempts     {@code raft.client.retry.max-attempts}: attempts per request (leader changes, timeouts)
 * @param clientRetrySleepMs      {@code raft.client.retry.sleep-ms}: pause between attempts
 * @param clientAttemptTimeoutMs  {@code raft.client.attempt-timeout-ms}: how long one attempt of a partition client (a
 *                                write, a ReadIndex read) waits for the server it went to before Ratis's client gives up
 *                                on that server and retries the same request (same call id: the retry cache still
 *                                recognizes it) on another replica. A leader that is paused (SIGSTOP, long GC) keeps
 *                                its connections open and answers nothing, so only this timeout moves the client on:
 *                                it must be well below the command timeout, and above an election timeout, by which
 *                                time the other replicas of a silent leader have elected a new one. Default 1.5 x
 *                                {@code raft.election.timeout-max-ms}
 * @param completionThreads       {@code raft.client.completion-threads}: threads completing callers' futures (never Ratis's own)
 * @param clientOutstandingMax    {@code raft.client.outstanding-max}: requests outstanding per partition client
 * @param batchMaxCommands        {@code raft.batch.max-commands}: commands coalesced into one Raft entry / one read
 * @param batchMaxBytes           {@code raft.batch.max-bytes}: approximate encoded bytes of one entry
 * @param batchMaxInFlight        {@code raft.batch.max-in-flight}: entries (and, separately, read batches) outstanding per
 *                                partition (1 by default: a Raft entry costs ~2 ms of CPU across three replicas on a 2-core machine,
 *                                so fewer, larger entries beat pipelining them; Raft commits them in order anyway)
 * @param batchMaxWaitMicros      {@code raft.batch.max-wait-micros}: longest a command waits for company while a slot is free (0 = send at once)
 * @param expiryIntervalMs        {@code raft.expiry.interval-ms}: how often a leader looks for expired keys to purge (0 = never)
 * @param expiryBatch             {@code raft.expiry.batch}: most records one replicated purge removes
 * @param batchMaxPending         {@code raft.batch.max-pending}: commands queued per partition before new ones are refused
 * @param leaseRatio              {@code raft.read.lease-ratio}: a LEASE read is served locally for this fraction of
 *                                the minimum election timeout after a quorum round this leader led (0 = never)
 * @param readMaxWaiters          {@code raft.read.max-waiters}: FOLLOWER reads waiting for a replica to catch up, per partition
 * @param moveMaxConcurrent       {@code raft.move.max-concurrent}: replica moves ({@link RaftNode#changeReplicas}) this
 *                                node drives at once; one more fails at once with an error naming this key (the caller
 *                                retries later). A move copies a whole partition to its new replica, so a few at a
 *                                time keep the copying from starving the writes
 * @param moveStagingTimeoutMs    {@code raft.move.staging-timeout-ms}: how long a partition's leader keeps waiting for
 *                                a new replica that stopped answering while it catches up before it abandons that
 *                                attempt of the move (Ratis's {@code raft.server.staging.timeout}). The new replica
 *                                answers every snapshot chunk and log batch, but loads a received snapshot before it
 *                                answers the last chunk: this must exceed the longest such load. Must exceed
 *                                {@code raft.election.timeout-max-ms}
 * @param moveCatchUpGap          {@code raft.move.catch-up-gap}: a new replica counts as caught up, and the
 *                                configuration change starts, once its log is within this many entries of the
 *                                leader's commit index (Ratis's {@code raft.server.staging.catchup.gap})
 * @param snapshotReceiveBytesPerSec {@code raft.snapshot.receive-bytes-per-sec}: most bytes per second this node
 *                                receives of snapshots installed by leaders (new replicas of a move, replicas too far
 *                                behind for the log), over all partitions together; 0 = unlimited. Enforced by
 *                                delaying each next chunk's delivery on the receiving side, which the gRPC flow
 *                                control turns into back pressure on the sending leader. When set, the snapshot
 *                                chunk size is a quarter second's worth (at least 16 KiB), so that the leader hears
 *                                back from a throttled replica several times a second (see {@code
 *                                raft.move.staging-timeout-ms})
 * @param clientDrainMs           {@code raft.client.drain-ms}: when a partition's replicas change, this node opens a
 *                                new client for the partition and lets the old one finish the commands it already
 *                                took for at most this long before closing it (what is left then fails)
 * @param advertiseHost           {@code raft.advertise-host}: the host other nodes reach this one at (what its own
 *                                peer address in a group says); default {@code raft.host}, required when that is a
 *                                wildcard address (0.0.0.0, ::) since a peer cannot dial a wildcard
 * @param noQuorumAfterMs         {@code raft.no-quorum-after-ms}: a command waiting on a partition whose local replica
 *                                has heard from no leader for this long (elections keep failing: fewer than a majority
 *                                of its replicas are reachable) is answered at once with {@code CLUSTERDOWN} (gRPC
 *                                UNAVAILABLE with a retry hint) instead of waiting out the command timeout; 0 = never.
 *                                Default 2 x {@code raft.election.timeout-max-ms}, at least that maximum: an ordinary
 *                                election never trips it. Nodes without a replica of the partition cannot tell, and
 *                                wait for the command timeout
 */
public record RaftConfig(Path storageDir, String host, int port, String clusterId,
                         int electionTimeoutMinMs, int electionTimeoutMaxMs, int requestTimeoutMs,
                         Durability durability, long segmentSizeMaxBytes, int appenderBufferBytes,
                         int appenderBufferElements, int logQueueElements, int logQueueBytes, long segmentCacheBytes, int purgeGap,
                         boolean purgeUpToSnapshot, boolean logMetadataEntries, long snapshotThreshold, int snapshotRetention,
                         int serverThreads, int clientThreads, int proxyThreads, int grpcAsyncThreads,
                         int grpcMessageMaxBytes, int clientRetryAttempts, int clientRetrySleepMs, int clientAttemptTimeoutMs,
                         int completionThreads, int clientOutstandingMax, int batchMaxCommands, int batchMaxBytes, int batchMaxInFlight,
                         int batchMaxWaitMicros, int batchMaxPending, int expiryIntervalMs, int expiryBatch,
                         double leaseRatio, int readMaxWaiters, int moveMaxConcurrent, int moveStagingTimeoutMs,
                         int moveCatchUpGap, long snapshotReceiveBytesPerSec, int clientDrainMs,
                         String advertiseHost, int noQuorumAfterMs) {

    public enum Durability { STRICT, RELAXED }

    public static final String STORAGE_DIR = "raft.storage-dir";
    public static final String HOST = "raft.host";
    public static final String PORT = "raft.port";
    public static final String CLUSTER_ID = "raft.cluster-id";
    public static final String ELECTION_TIMEOUT_MIN_MS = "raft.election.timeout-min-ms";
    public static final String ELECTION_TIMEOUT_MAX_MS = "raft.election.timeout-max-ms";
    public static final String REQUEST_TIMEOUT_MS = "raft.rpc.request-timeout-ms";
    public static final String DURABILITY = "raft.durability";
    public static final String SEGMENT_SIZE_MAX_BYTES = "raft.log.segment-size-max-bytes";
    public static final String APPENDER_BUFFER_BYTES = "raft.log.appender.buffer-byte-limit";
    public static final String APPENDER_BUFFER_ELEMENTS = "raft.log.appender.buffer-element-limit";
    public static final String LOG_QUEUE_ELEMENTS = "raft.log.queue-element-limit";
    public static final String LOG_QUEUE_BYTES = "raft.log.queue-byte-limit";
    public static final String SEGMENT_CACHE_BYTES = "raft.log.segment-cache-bytes";
    public static final String PURGE_GAP = "raft.log.purge-gap";
    public static final String PURGE_UP_TO_SNAPSHOT = "raft.log.purge-up-to-snapshot";
    public static final String LOG_METADATA_ENTRIES = "raft.log.metadata-entries";
    public static final String SNAPSHOT_THRESHOLD = "raft.snapshot.auto-trigger-threshold";
    public static final String SNAPSHOT_RETENTION = "raft.snapshot.retention";
    public static final String SERVER_THREADS = "raft.threads.server";
    public static final String CLIENT_THREADS = "raft.threads.client";
    public static final String PROXY_THREADS = "raft.threads.proxy";
    public static final String GRPC_ASYNC_THREADS = "raft.grpc.async-request-threads";
    public static final String GRPC_MESSAGE_MAX_BYTES = "raft.grpc.message-size-max-bytes";
    public static final String CLIENT_RETRY_ATTEMPTS = "raft.client.retry.max-attempts";
    public static final String CLIENT_RETRY_SLEEP_MS = "raft.client.retry.sleep-ms";
    public static final String CLIENT_ATTEMPT_TIMEOUT_MS = "raft.client.attempt-timeout-ms";
    public static final String COMPLETION_THREADS = "raft.client.completion-threads";
    public static final String CLIENT_OUTSTANDING_MAX = "raft.client.outstanding-max";
    public static final String BATCH_MAX_COMMANDS = "raft.batch.max-commands";
    public static final String BATCH_MAX_BYTES = "raft.batch.max-bytes";
    public static final String BATCH_MAX_IN_FLIGHT = "raft.batch.max-in-flight";
    public static final String BATCH_MAX_WAIT_MICROS = "raft.batch.max-wait-micros";
    public static final String BATCH_MAX_PENDING = "raft.batch.max-pending";
    public static final String EXPIRY_INTERVAL_MS = "raft.expiry.interval-ms";
    public static final String EXPIRY_BATCH = "raft.expiry.batch";
    public static final String LEASE_RATIO = "raft.read.lease-ratio";
    public static final String READ_MAX_WAITERS = "raft.read.max-waiters";
    public static final String MOVE_MAX_CONCURRENT = "raft.move.max-concurrent";
    public static final String MOVE_STAGING_TIMEOUT_MS = "raft.move.staging-timeout-ms";
    public static final String MOVE_CATCH_UP_GAP = "raft.move.catch-up-gap";
    public static final String SNAPSHOT_RECEIVE_BYTES_PER_SEC = "raft.snapshot.receive-bytes-per-sec";
    public static final String CLIENT_DRAIN_MS = "raft.client.drain-ms";
    public static final String ADVERTISE_HOST = "raft.advertise-host";
    public static final String NO_QUORUM_AFTER_MS = "raft.no-quorum-after-ms";

    /** The smallest non-zero {@link #SNAPSHOT_RECEIVE_BYTES_PER_SEC}: below it a snapshot of any size takes forever. */
    public static final long MIN_SNAPSHOT_RECEIVE_BYTES_PER_SEC = 64 * 1024;

    public RaftConfig {
        if (storageDir == null) {
            throw new IllegalArgumentException(STORAGE_DIR + " is required");
        }
        require(port >= 0 && port <= 65535, PORT, port);
        require(clusterId != null && !clusterId.isBlank(), CLUSTER_ID, clusterId);
        require(electionTimeoutMinMs >= 50, ELECTION_TIMEOUT_MIN_MS, electionTimeoutMinMs);
        require(electionTimeoutMaxMs > electionTimeoutMinMs, ELECTION_TIMEOUT_MAX_MS + " (must exceed the min)",
                electionTimeoutMaxMs);
        require(requestTimeoutMs > 0, REQUEST_TIMEOUT_MS, requestTimeoutMs);
        require(segmentSizeMaxBytes >= 16 * 1024, SEGMENT_SIZE_MAX_BYTES, segmentSizeMaxBytes);
        require(appenderBufferBytes >= 64 * 1024, APPENDER_BUFFER_BYTES, appenderBufferBytes);
        require(appenderBufferElements > 0, APPENDER_BUFFER_ELEMENTS, appenderBufferElements);
        require(logQueueElements > 0, LOG_QUEUE_ELEMENTS, logQueueElements);
        require(logQueueBytes >= appenderBufferBytes, LOG_QUEUE_BYTES + " (at least the appender buffer)", logQueueBytes);
        require(segmentCacheBytes >= segmentSizeMaxBytes, SEGMENT_CACHE_BYTES + " (at least one segment)", segmentCacheBytes);
        require(purgeGap > 0, PURGE_GAP, purgeGap);
        require(snapshotThreshold > 0, SNAPSHOT_THRESHOLD, snapshotThreshold);
        require(snapshotRetention > 0, SNAPSHOT_RETENTION, snapshotRetention);
        require(serverThreads > 0, SERVER_THREADS, serverThreads);
        require(clientThreads > 0, CLIENT_THREADS, clientThreads);
        require(proxyThreads > 0, PROXY_THREADS, proxyThreads);
        require(grpcAsyncThreads > 0, GRPC_ASYNC_THREADS, grpcAsyncThreads);
        require(grpcMessageMaxBytes >= 2 * appenderBufferBytes, GRPC_MESSAGE_MAX_BYTES
                + " (at least twice the appender buffer)", grpcMessageMaxBytes);
        require(clientRetryAttempts > 0, CLIENT_RETRY_ATTEMPTS, clientRetryAttempts);
        require(clientRetrySleepMs >= 0, CLIENT_RETRY_SLEEP_MS, clientRetrySleepMs);
        require(clientAttemptTimeoutMs > 0, CLIENT_ATTEMPT_TIMEOUT_MS, clientAttemptTimeoutMs);
        require(completionThreads > 0 && completionThreads <= 64, COMPLETION_THREADS, completionThreads);
        require(clientOutstandingMax >= 2 * batchMaxInFlight, CLIENT_OUTSTANDING_MAX
                + " (at least twice " + BATCH_MAX_IN_FLIGHT + ", reads and writes share a client)", clientOutstandingMax);
        require(batchMaxCommands >= 1 && batchMaxCommands <= io.cairn.raft.codec.CommandCodec.MAX_BATCH,
                BATCH_MAX_COMMANDS, batchMaxCommands);
        require(batchMaxBytes >= 1024 && batchMaxBytes <= appenderBufferBytes / 2,
                BATCH_MAX_BYTES + " (1 KiB .. half the appender buffer)", batchMaxBytes);
        require(batchMaxInFlight >= 1, BATCH_MAX_IN_FLIGHT, batchMaxInFlight);
        require(batchMaxWaitMicros >= 0 && batchMaxWaitMicros <= 100_000, BATCH_MAX_WAIT_MICROS, batchMaxWaitMicros);
        require(batchMaxPending >= batchMaxCommands, BATCH_MAX_PENDING + " (at least one batch)", batchMaxPending);
        require(expiryIntervalMs >= 0, EXPIRY_INTERVAL_MS, expiryIntervalMs);
        require(expiryBatch >= 1 && expiryBatch <= 100_000, EXPIRY_BATCH, expiryBatch);
        // Above 1 the lease would outlive the followers' election timers: a second leader could serve reads.
        require(leaseRatio >= 0 && leaseRatio <= 0.9, LEASE_RATIO + " (0 .. 0.9)", leaseRatio);
        require(readMaxWaiters >= 1, READ_MAX_WAITERS, readMaxWaiters);
        require(moveMaxConcurrent >= 1 && moveMaxConcurrent <= 1024, MOVE_MAX_CONCURRENT, moveMaxConcurrent);
        require(moveStagingTimeoutMs > electionTimeoutMaxMs, MOVE_STAGING_TIMEOUT_MS + " (must exceed "
                + ELECTION_TIMEOUT_MAX_MS + ")", moveStagingTimeoutMs);
        require(moveCatchUpGap >= 1, MOVE_CATCH_UP_GAP, moveCatchUpGap);
        require(snapshotReceiveBytesPerSec == 0 || snapshotReceiveBytesPerSec >= MIN_SNAPSHOT_RECEIVE_BYTES_PER_SEC,
                SNAPSHOT_RECEIVE_BYTES_PER_SEC + " (0 = unlimited, else at least " + MIN_SNAPSHOT_RECEIVE_BYTES_PER_SEC
                        + ")", snapshotReceiveBytesPerSec);
        require(clientDrainMs > 0, CLIENT_DRAIN_MS, clientDrainMs);
        require(advertiseHost != null && !advertiseHost.isBlank() && !isWildcard(advertiseHost),
                ADVERTISE_HOST + " (a wildcard " + HOST + " needs an address peers can dial)", advertiseHost);
        require(noQuorumAfterMs == 0 || noQuorumAfterMs >= electionTimeoutMaxMs,
                NO_QUORUM_AFTER_MS + " (0, or at least " + ELECTION_TIMEOUT_MAX_MS + ")", noQuorumAfterMs);
    }

    /**
     * Largest snapshot chunk a leader sends: 16 MiB or half the gRPC message limit, and with a
     * receive throttle a quarter second's worth of it (at least 16 KiB), so that a throttled
     * replica still answers a chunk several times a second.
     */
    public int snapshotChunkBytes() {
        int chunk = Math.min(16 << 20, grpcMessageMaxBytes / 2);
        if (snapshotReceiveBytesPerSec > 0) {
            chunk = (int) Math.min(chunk, Math.max(16 * 1024, snapshotReceiveBytesPerSec / 4));
        }
        return chunk;
    }

    /** How long a quorum round led by this node keeps its LEASE reads local. */
    public long leaseNanos() {
        return (long) (electionTimeoutMinMs * leaseRatio * 1_000_000L);
    }

    /** Defaults for everything but the storage directory. */
    public static RaftConfig defaults(Path storageDir) {
        return from(Map.of(STORAGE_DIR, storageDir.toString()));
    }

    /** Reads every key from string settings; missing keys take their defaults, unknown {@code raft.*} keys are refused. */
    public static RaftConfig from(Map<String, String> s) {
        for (String key : s.keySet()) {
            if (key.startsWith("raft.") && !KNOWN.contains(key)) {
                throw new IllegalArgumentException("unknown raft setting '" + key + "'");
            }
        }
        String dir = s.get(STORAGE_DIR);
        String durability = s.getOrDefault(DURABILITY, "STRICT").trim().toUpperCase(Locale.ROOT);
        Durability d;
        try {
            d = Durability.valueOf(durability);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(DURABILITY + " must be STRICT or RELAXED, got '" + durability + "'");
        }
        return new RaftConfig(dir == null ? null : Path.of(dir), s.getOrDefault(HOST, "127.0.0.1"),
                i(s, PORT, 0), s.getOrDefault(CLUSTER_ID, "cairn"),
                i(s, ELECTION_TIMEOUT_MIN_MS, 1000), i(s, ELECTION_TIMEOUT_MAX_MS, 2000), i(s, REQUEST_TIMEOUT_MS, 3000),
                d, l(s, SEGMENT_SIZE_MAX_BYTES, 8L << 20), i(s, APPENDER_BUFFER_BYTES, 1 << 20),
                i(s, APPENDER_BUFFER_ELEMENTS, 1024), i(s, LOG_QUEUE_ELEMENTS, 4096), i(s, LOG_QUEUE_BYTES, 64 << 20),
                l(s, SEGMENT_CACHE_BYTES, 32L << 20), i(s, PURGE_GAP, 1024), b(s, PURGE_UP_TO_SNAPSHOT, true), b(s, LOG_METADATA_ENTRIES, false),
                l(s, SNAPSHOT_THRESHOLD, 100_000),
                i(s, SNAPSHOT_RETENTION, 2), i(s, SERVER_THREADS, 2), i(s, CLIENT_THREADS, 2), i(s, PROXY_THREADS, 4),
                i(s, GRPC_ASYNC_THREADS, 8), i(s, GRPC_MESSAGE_MAX_BYTES, 64 << 20),
                i(s, CLIENT_RETRY_ATTEMPTS, 100), i(s, CLIENT_RETRY_SLEEP_MS, 100),
                i(s, CLIENT_ATTEMPT_TIMEOUT_MS, defaultAttemptTimeoutMs(s)), i(s, COMPLETION_THREADS, 2), i(s, CLIENT_OUTSTANDING_MAX, 256),
                i(s, BATCH_MAX_COMMANDS, 512), i(s, BATCH_MAX_BYTES, 256 << 10), i(s, BATCH_MAX_IN_FLIGHT, 1),
                i(s, BATCH_MAX_WAIT_MICROS, 0), i(s, BATCH_MAX_PENDING, 16_384),
                i(s, EXPIRY_INTERVAL_MS, 100), i(s, EXPIRY_BATCH, 200), d(s, LEASE_RATIO, 0.7), i(s, READ_MAX_WAITERS, 4096),
                i(s, MOVE_MAX_CONCURRENT, 2), i(s, MOVE_STAGING_TIMEOUT_MS, defaultStagingTimeoutMs(s)), i(s, MOVE_CATCH_UP_GAP, 1000),
                l(s, SNAPSHOT_RECEIVE_BYTES_PER_SEC, 0), i(s, CLIENT_DRAIN_MS, 30_000),
                s.getOrDefault(ADVERTISE_HOST, s.getOrDefault(HOST, "127.0.0.1")),
                i(s, NO_QUORUM_AFTER_MS, (int) Math.min(Integer.MAX_VALUE, i(s, ELECTION_TIMEOUT_MAX_MS, 2000) * 2L)));
    }

    /**
     * 1.5 election timeouts (the maximum): a leader that has not answered by then is, if it is
     * gone or paused, already replaced, so the retry finds the new one; one that is alive but slow
     * only sees the request again (the retry cache answers it once it is applied).
     */
    private static int defaultAttemptTimeoutMs(Map<String, String> s) {
        return (int) Math.min(Integer.MAX_VALUE, i(s, ELECTION_TIMEOUT_MAX_MS, 2000) * 3L / 2);
    }

    /**
     * 30 s, and at least 3 election timeouts (Ratis's own default): long enough for a new replica
     * to load a large snapshot before it answers its last chunk, short enough that a move to a
     * replica that died is abandoned (and can be retried) well within a minute.
     */
    private static int defaultStagingTimeoutMs(Map<String, String> s) {
        return (int) Math.max(30_000L, i(s, ELECTION_TIMEOUT_MAX_MS, 2000) * 3L);
    }

    /** Ratis needs its log write buffer to hold one full AppendEntries batch plus its 8-byte framing. */
    public int logWriteBufferBytes() {
        return appenderBufferBytes + 8;
    }

    /** True for the any-address forms a server may bind to but no peer can dial. */
    public static boolean isWildcard(String host) {
        String h = host.trim();
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]") || h.equals("0:0:0:0:0:0:0:0");
    }

    private static final java.util.Set<String> KNOWN = java.util.Set.of(STORAGE_DIR, HOST, PORT, CLUSTER_ID,
            ELECTION_TIMEOUT_MIN_MS, ELECTION_TIMEOUT_MAX_MS, REQUEST_TIMEOUT_MS, DURABILITY, SEGMENT_SIZE_MAX_BYTES,
            APPENDER_BUFFER_BYTES, APPENDER_BUFFER_ELEMENTS, LOG_QUEUE_ELEMENTS, LOG_QUEUE_BYTES, SEGMENT_CACHE_BYTES, PURGE_GAP,
            PURGE_UP_TO_SNAPSHOT, LOG_METADATA_ENTRIES, SNAPSHOT_THRESHOLD, SNAPSHOT_RETENTION, SERVER_THREADS, CLIENT_THREADS, PROXY_THREADS,
            GRPC_ASYNC_THREADS, GRPC_MESSAGE_MAX_BYTES, CLIENT_RETRY_ATTEMPTS, CLIENT_RETRY_SLEEP_MS, CLIENT_ATTEMPT_TIMEOUT_MS,
            COMPLETION_THREADS, CLIENT_OUTSTANDING_MAX, BATCH_MAX_COMMANDS, BATCH_MAX_BYTES, BATCH_MAX_IN_FLIGHT, BATCH_MAX_WAIT_MICROS,
            BATCH_MAX_PENDING, EXPIRY_INTERVAL_MS, EXPIRY_BATCH, LEASE_RATIO, READ_MAX_WAITERS, MOVE_MAX_CONCURRENT,
            MOVE_STAGING_TIMEOUT_MS, MOVE_CATCH_UP_GAP, SNAPSHOT_RECEIVE_BYTES_PER_SEC, CLIENT_DRAIN_MS, ADVERTISE_HOST,
            NO_QUORUM_AFTER_MS);

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + key + ": " + value);
        }
    }

    private static int i(Map<String, String> s, String key, int dflt) {
        String v = s.get(key);
        try {
            return v == null ? dflt : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private static double d(Map<String, String> s, String key, double dflt) {
        String v = s.get(key);
        try {
            return v == null ? dflt : Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }

    private static long l(Map<String, String> s, String key, long dflt) {
        String v = s.get(key);
        try {
            return v == null ? dflt : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private static boolean b(Map<String, String> s, String key, boolean dflt) {
        String v = s.get(key);
        if (v == null) {
            return dflt;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
        };
    }
}
