package io.cairn.commands;

import io.cairn.api.reply.Reply;

/**
 * Redis 7.0's exact error texts for data commands that {@link io.cairn.api.reply.Errors} does not
 * share (yet). Kept here so every text has one definition.
 */
final class CommandErrors {
    private CommandErrors() {}

    static final Reply.Error STRING_TOO_LONG = Reply.err("string exceeds maximum allowed size (proto-max-bulk-len)");
    static final Reply.Error OFFSET_OUT_OF_RANGE = Reply.err("offset is out of range");
    static final Reply.Error INVALID_CURSOR = Reply.err("invalid cursor");
    static final Reply.Error DECREMENT_OVERFLOW = Reply.err("decrement would overflow");
    static final Reply.Error NAN_OR_INFINITY = Reply.err("increment would produce NaN or Infinity");
    static final Reply.Error SAME_OBJECT = Reply.err("source and destination objects are the same");
    static final Reply.Error DB_INDEX_OUT_OF_RANGE = Reply.err("DB index is out of range");
    static final Reply.Error COPY_OTHER_DB =
            Reply.err("Copying to another database is not allowed in cluster mode");
    static final Reply.Error EXPIRE_NX_COMBINATION =
            Reply.err("NX and XX, GT or LT options at the same time are not compatible");
    static final Reply.Error EXPIRE_GT_LT = Reply.err("GT and LT options at the same time are not compatible");
    static final Reply.Error INT_OUT_OF_RANGE =
            Reply.err("value is out of range, value must between -2147483648 and 2147483647");
    static final Reply.Error EMPTY_COMMAND = Reply.err("empty command");
    /** Cairn-specific: the storage engine cannot hold empty keys. */
    static final Reply.Error EMPTY_KEY = Reply.err("empty keys are not supported");

    static Reply.Error keyTooLong(int maxKeyBytes) {
        return Reply.err("key exceeds maximum allowed size of " + maxKeyBytes + " bytes (storage.max-key-bytes)");
    }

    static Reply.Error unsupportedOption(byte[] option) {
        return Reply.err("Unsupported option " + Texts.sanitize(option, Integer.MAX_VALUE));
    }

    static Reply.Error keysTooMany(int limit) {
        return Reply.err("KEYS would return more than " + limit + " keys (keys.max-results); use SCAN");
    }

    /** Redis's reply for an unknown command, including its quirks (each shown argument is cut at 128 bytes in total). */
    static Reply.Error unknownCommand(byte[][] argv) {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < argv.length && args.length() < 128; i++) {
            args.append('\'').append(Texts.sanitize(argv[i], 128 - args.length())).append("' ");
        }
        return Reply.err("unknown command '" + Texts.sanitize(argv[0], 128) + "', with args beginning with: " + args);
    }

    /** Turning bytes into error text the way Redis's error replies do. */
    static final class Texts {
        private Texts() {}

        /**
         * At most {@code max} bytes (C {@code %.*s}: stops at a NUL byte too), with CR and LF turned into
         * spaces because an error line must not break the protocol.
         */
        static String sanitize(byte[] b, int max) {
            int n = Math.min(b.length, Math.max(0, max));
            StringBuilder sb = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                char c = (char) (b[i] & 0xFF);
                if (c == 0) {
                    break;
                }
                sb.append(c == '\r' || c == '\n' ? ' ' : c);
            }
            return sb.toString();
        }
    }
}
