package io.cairn.api.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every command a node knows, assembled from the specs each layer contributes (data commands from
 * cairn-commands, connection/server commands from the protocol layer). Immutable after construction.
 */
public final class CommandTable {
    private final Map<String, CommandSpec> byName;

    @SafeVarargs
    public CommandTable(Collection<CommandSpec>... sources) {
        Map<String, CommandSpec> m = new HashMap<>();
        for (Collection<CommandSpec> source : sources) {
            for (CommandSpec spec : source) {
                CommandSpec previous = m.putIfAbsent(spec.name(), spec);
                if (previous != null) {
                    throw new IllegalArgumentException("command defined twice: " + spec.name());
                }
            }
        }
        this.byName = Collections.unmodifiableMap(m);
    }

    /** Case-insensitive lookup; null if unknown. */
    public CommandSpec lookup(String name) {
        return byName.get(name.toLowerCase(Locale.ROOT));
    }

    public CommandSpec lookup(byte[] name) {
        if (name.length > 64) {
            return null;
        }
        return lookup(new String(name, StandardCharsets.US_ASCII));
    }

    public Collection<CommandSpec> all() {
        return byName.values();
    }

    public int size() {
        return byName.size();
    }

    /** Names in sorted order, for stable COMMAND LIST output. */
    public List<String> names() {
        List<String> names = new ArrayList<>(byName.keySet());
        Collections.sort(names);
        return names;
    }
}
