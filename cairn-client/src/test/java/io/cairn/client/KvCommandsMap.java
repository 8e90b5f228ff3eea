package io.cairn.client;

import io.cairn.api.kv.CallOptions;
import io.cairn.api.kv.KeyValue;
import io.cairn.api.kv.KvCommands;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Test helper: an async String get with explicit options (the interface has it for byte[] only). */
final class KvCommandsMap {
    private KvCommandsMap() {}

    static CompletableFuture<String> getString(KeyValue kv, String key, CallOptions options) {
        return KvCommands.map(kv.getAsync(key.getBytes(StandardCharsets.UTF_8), options),
                v -> v == null ? null : new String(v, StandardCharsets.UTF_8));
    }
}
