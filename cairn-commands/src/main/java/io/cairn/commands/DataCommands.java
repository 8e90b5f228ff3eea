package io.cairn.commands;

import io.cairn.api.command.CommandSpec;
import java.util.List;
import java.util.Set;

/**
 * Command metadata for every data command {@link CommandExecutor} runs, mirroring Redis 7.0's
 * {@code COMMAND INFO} (arity, flags, key positions) and {@code COMMAND DOCS} (group, summary,
 * since). Checked against a real redis-server 7.0.
 */
public final class DataCommands {
    private DataCommands() {}

    private static final List<CommandSpec> SPECS = List.of(
            // strings
            spec("get", 2, 1, 1, 1, "string", "Get the value of a key", "1.0.0", "readonly", "fast"),
            spec("set", -3, 1, 1, 1, "string", "Set the string value of a key", "1.0.0", "write", "denyoom"),
            spec("setnx", 3, 1, 1, 1, "string", "Set the value of a key, only if the key does not exist", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("setex", 4, 1, 1, 1, "string", "Set the value and expiration of a key", "2.0.0", "write", "denyoom"),
            spec("psetex", 4, 1, 1, 1, "string", "Set the value and expiration in milliseconds of a key", "2.6.0",
                    "write", "denyoom"),
            spec("getset", 3, 1, 1, 1, "string", "Set the string value of a key and return its old value", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("getdel", 2, 1, 1, 1, "string", "Get the value of a key and delete the key", "6.2.0", "write", "fast"),
            spec("getex", -2, 1, 1, 1, "string", "Get the value of a key and optionally set its expiration", "6.2.0",
                    "write", "fast"),
            spec("mget", -2, 1, -1, 1, "string", "Get the values of all the given keys", "1.0.0", "readonly", "fast"),
            spec("mset", -3, 1, -1, 2, "string", "Set multiple keys to multiple values", "1.0.1", "write", "denyoom"),
            spec("msetnx", -3, 1, -1, 2, "string",
                    "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "write", "denyoom"),
            spec("append", 3, 1, 1, 1, "string", "Append a value to a key", "2.0.0", "write", "denyoom", "fast"),
            spec("strlen", 2, 1, 1, 1, "string", "Get the length of the value stored in a key", "2.2.0",
                    "readonly", "fast"),
            spec("getrange", 4, 1, 1, 1, "string", "Get a substring of the string stored at a key", "2.4.0",
                    "readonly"),
            spec("substr", 4, 1, 1, 1, "string", "Get a substring of the string stored at a key", "1.0.0",
                    "readonly"),
            spec("setrange", 4, 1, 1, 1, "string",
                    "Overwrite part of a string at key starting at the specified offset", "2.2.0", "write", "denyoom"),
            spec("incr", 2, 1, 1, 1, "string", "Increment the integer value of a key by one", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("decr", 2, 1, 1, 1, "string", "Decrement the integer value of a key by one", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("incrby", 3, 1, 1, 1, "string", "Increment the integer value of a key by the given amount", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("decrby", 3, 1, 1, 1, "string", "Decrement the integer value of a key by the given number", "1.0.0",
                    "write", "denyoom", "fast"),
            spec("incrbyfloat", 3, 1, 1, 1, "string", "Increment the float value of a key by the given amount",
                    "2.6.0", "write", "denyoom", "fast"),
            // keys
            spec("del", -2, 1, -1, 1, "generic", "Delete a key", "1.0.0", "write"),
            spec("unlink", -2, 1, -1, 1, "generic",
                    "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
                    "4.0.0", "write", "fast"),
            spec("exists", -2, 1, -1, 1, "generic", "Determine if a key exists", "1.0.0", "readonly", "fast"),
            spec("type", 2, 1, 1, 1, "generic", "Determine the type stored at key", "1.0.0", "readonly", "fast"),
            spec("expire", -3, 1, 1, 1, "generic", "Set a key's time to live in seconds", "1.0.0", "write", "fast"),
            spec("pexpire", -3, 1, 1, 1, "generic", "Set a key's time to live in milliseconds", "2.6.0",
                    "write", "fast"),
            spec("expireat", -3, 1, 1, 1, "generic", "Set the expiration for a key as a UNIX timestamp", "1.2.0",
                    "write", "fast"),
            spec("pexpireat", -3, 1, 1, 1, "generic",
                    "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0",
                    "write", "fast"),
            spec("ttl", 2, 1, 1, 1, "generic", "Get the time to live for a key in seconds", "1.0.0", "readonly", "fast"),
            spec("pttl", 2, 1, 1, 1, "generic", "Get the time to live for a key in milliseconds", "2.6.0",
                    "readonly", "fast"),
            spec("expiretime", 2, 1, 1, 1, "generic", "Get the expiration Unix timestamp for a key", "7.0.0",
                    "readonly", "fast"),
            spec("pexpiretime", 2, 1, 1, 1, "generic",
                    "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "readonly", "fast"),
            spec("persist", 2, 1, 1, 1, "generic", "Remove the expiration from a key", "2.2.0", "write", "fast"),
            spec("rename", 3, 1, 2, 1, "generic", "Rename a key", "1.0.0", "write"),
            spec("renamenx", 3, 1, 2, 1, "generic", "Rename a key, only if the new key does not exist", "1.0.0",
                    "write", "fast"),
            spec("copy", -3, 1, 2, 1, "generic", "Copy a key", "6.2.0", "write", "denyoom"),
            spec("keys", 2, 0, 0, 0, "generic", "Find all keys matching the given pattern", "1.0.0", "readonly"),
            spec("scan", -2, 0, 0, 0, "generic", "Incrementally iterate the keys space", "2.8.0", "readonly"),
            spec("randomkey", 1, 0, 0, 0, "generic", "Return a random key from the keyspace", "1.0.0", "readonly"),
            spec("touch", -2, 1, -1, 1, "generic",
                    "Alters the last access time of a key(s). Returns the number of existing keys specified.",
                    "3.2.1", "readonly", "fast"),
            // server
            spec("dbsize", 1, 0, 0, 0, "server", "Return the number of keys in the selected database", "1.0.0",
                    "readonly", "fast"),
            spec("flushdb", -1, 0, 0, 0, "server", "Remove all keys from the current database", "1.0.0", "write"),
            spec("flushall", -1, 0, 0, 0, "server", "Remove all keys from all databases", "1.0.0", "write"));

    /** Specs of every data command, immutable. */
    public static List<CommandSpec> specs() {
        return SPECS;
    }

    private static CommandSpec spec(String name, int arity, int firstKey, int lastKey, int step, String group,
                                    String summary, String since, String... flags) {
        return new CommandSpec(name, arity, Set.of(flags), firstKey, lastKey, step, group, summary, since, List.of());
    }
}
