package io.cairn.grpc;

import com.google.protobuf.ByteString;
import io.cairn.api.consistency.Durability;
import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.grpc.RequestOptions;
import io.cairn.api.service.Session;
import io.grpc.StatusRuntimeException;

/**
 * Validation shared by every handler: keys, values, TTLs and options. Everything that can be
 * checked without reading data is checked before anything reaches the command service, so a
 * refused request has done nothing. Failures are INVALID_ARGUMENT with a BadRequest naming the
 * field (or FAILED_PRECONDITION for a durability the node cannot give).
 */
final class Requests {
    /** 2^53 - 1 ms (285 000 years), as the HTTP API: far beyond any use, and now + ttl cannot overflow. */
    static final long MAX_TTL_MILLIS = io.cairn.commands.tx.TxOp.MAX_TTL_MILLIS;

    private final GrpcSettings settings;
    private final GrpcErrors errors;
    private final Durability nodeDurability;

    Requests(GrpcSettings settings, GrpcErrors errors, Durability nodeDurability) {
        this.settings = settings;
        this.errors = errors;
        this.nodeDurability = nodeDurability;
    }

    byte[] key(ByteString key, String field) {
        if (key.isEmpty()) {
            throw errors.invalid(field, "the key must not be empty", "INVALID_KEY");
        }
        if (key.size() > settings.maxKeyBytes()) {
            throw errors.invalid(field, "key of " + key.size() + " bytes exceeds the limit of " + settings.maxKeyBytes()
                    + " bytes (" + GrpcSettings.MAX_KEY_BYTES + ")", "KEY_TOO_LARGE");
        }
        return key.toByteArray();
    }

    byte[] value(ByteString value, String field) {
        if (value.size() > settings.maxValueBytes()) {
            throw errors.invalid(field, "value of " + value.size() + " bytes exceeds the limit of "
                    + settings.maxValueBytes() + " bytes (" + GrpcSettings.MAX_VALUE_BYTES + ")", "VALUE_TOO_LARGE");
        }
        return value.toByteArray();
    }

    /** A TTL in ms, 0 for none; proto uint64 arrives as a Java long, so huge values are negative here. */
    static long ttl(long ttlMillis, String field, GrpcErrors errors) {
        if (ttlMillis < 0 || ttlMillis > MAX_TTL_MILLIS) {
            throw errors.invalid(field, "ttl_ms must be at most " + MAX_TTL_MILLIS + ", got "
                    + Long.toUnsignedString(ttlMillis));
        }
        return ttlMillis;
    }

    long ttl(long ttlMillis, String field) {
        return ttl(ttlMillis, field, errors);
    }

    /** A version condition: the positive HLC stamp of a live record (proto uint64, so "negative" is out of range). */
    long version(long version, String field) {
        if (version <= 0) {
            throw errors.invalid(field, "a version is a positive number returned by Get with include_version, got "
                    + Long.toUnsignedString(version));
        }
        return version;
    }

    /** The session of one call: the request's consistency, or the defaults for what it leaves unspecified. */
    Session session(RequestOptions options) {
        ReadConsistency read = switch (options.getRead()) {
            case READ_CONSISTENCY_UNSPECIFIED, READ_CONSISTENCY_LINEARIZABLE -> ReadConsistency.LINEARIZABLE;
            case READ_CONSISTENCY_LEASE -> ReadConsistency.LEASE;
            case READ_CONSISTENCY_FOLLOWER -> ReadConsistency.FOLLOWER;
            case READ_CONSISTENCY_STALE -> ReadConsistency.STALE;
            case UNRECOGNIZED -> throw errors.invalid("options.read", "unknown read consistency "
                    + options.getReadValue());
        };
        WriteConsistency write = switch (options.getWrite()) {
            case WRITE_CONSISTENCY_UNSPECIFIED, WRITE_CONSISTENCY_MAJORITY -> WriteConsistency.MAJORITY;
            case WRITE_CONSISTENCY_ALL -> WriteConsistency.ALL;
            case UNRECOGNIZED -> throw errors.invalid("options.write", "unknown write consistency "
                    + options.getWriteValue());
        };
        switch (options.getDurability()) {
            case DURABILITY_UNSPECIFIED, DURABILITY_RELAXED -> { } // met by either node setting
            case DURABILITY_STRICT -> {
                if (nodeDurability != Durability.STRICT) {
                    throw errors.durabilityUnavailable("this node acknowledges writes with raft.durability="
                            + nodeDurability + "; durability is node-wide and cannot be raised per request");
                }
            }
            case UNRECOGNIZED -> throw errors.invalid("options.durability", "unknown durability "
                    + options.getDurabilityValue());
        }
        return Session.defaults().withConsistency(read, write);
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    StatusRuntimeException tooMany(String field, int count) {
        return errors.invalid(field, count + " exceed the limit of " + settings.maxOperations() + " per request ("
                + GrpcSettings.MAX_OPERATIONS + ")");
    }
}
