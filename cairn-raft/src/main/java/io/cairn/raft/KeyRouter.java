package io.cairn.raft;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.service.CommandService;
import io.cairn.commands.DataCommands;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the partition a command belongs to from its key positions (Redis's first/last/step key
 * spec). Used on both sides: the service routes by it, and the state machine checks it again so
 * a replica never touches another partition's range, whoever proposed the entry.
 */
public final class KeyRouter {
    /** The command names no keys (FLUSHALL, DBSIZE, KEYS, SCAN, RANDOMKEY). */
    public static final int KEYLESS = -1;
    /** Its keys hash to more than one partition. */
    public static final int CROSS_PARTITION = -2;
    /** Unknown command, or an argument count its spec refuses: the executor answers it without touching data. */
    public static final int INVALID = -3;

    private final int partitions;
    private final Map<String, CommandSpec> specs = new HashMap<>();

    public KeyRouter(int partitions) {
        if (partitions < 1 || partitions > SlotHash.SLOTS) {
            throw new IllegalArgumentException("partitions must be in 1.." + SlotHash.SLOTS + ", got " + partitions);
        }
        this.partitions = partitions;
        for (CommandSpec spec : DataCommands.specs()) {
            specs.put(spec.name(), spec);
        }
    }

    public int partitions() {
        return partitions;
    }

    public CommandSpec spec(byte[][] argv) {
        if (argv == null || argv.length == 0 || argv[0].length > 64) {
            return null;
        }
        return specs.get(new String(argv[0], StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT));
    }

    /** The partition of {@code argv}'s keys, or {@link #KEYLESS}, {@link #CROSS_PARTITION}, {@link #INVALID}. */
    public int partitionOf(byte[][] argv) {
        CommandSpec spec = spec(argv);
        if (spec == null || !spec.arityAccepts(argv.length)) {
            return INVALID;
        }
        if (!spec.hasKeys()) {
            return KEYLESS;
        }
        int last = spec.lastKey() < 0 ? argv.length + spec.lastKey() : Math.min(spec.lastKey(), argv.length - 1);
        int p = KEYLESS;
        for (int i = spec.firstKey(); i <= last; i += spec.step()) {
            int q = SlotHash.partitionOf(argv[i], partitions);
            if (p == KEYLESS) {
                p = q;
            } else if (p != q) {
                return CROSS_PARTITION;
            }
        }
        return p;
    }

    /**
     * The partition of a MULTI/EXEC block: every command's and every watched key's partition must
     * agree. Returns {@link #KEYLESS} when nothing in the block names a key, {@link #INVALID} if a
     * command is keyless (such commands span every partition and cannot run inside one group).
     */
    public int partitionOf(List<byte[][]> commands, List<CommandService.Watch> watches) {
        int p = KEYLESS;
        for (byte[][] argv : commands) {
            int q = partitionOf(argv);
            if (q == INVALID) {
                continue; // answered inline with an error by the executor, touches nothing
            }
            if (q == KEYLESS) {
                return INVALID;
            }
            if (q == CROSS_PARTITION || (p != KEYLESS && p != q)) {
                return CROSS_PARTITION;
            }
            p = q;
        }
        for (CommandService.Watch w : watches) {
            int q = SlotHash.partitionOf(w.key(), partitions);
            if (p != KEYLESS && p != q) {
                return CROSS_PARTITION;
            }
            p = q;
        }
        return p;
    }
}
