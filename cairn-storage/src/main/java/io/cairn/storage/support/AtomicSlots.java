package io.cairn.storage.support;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/** Lazily created per-partition state in an {@link AtomicReferenceArray}, without locks. */
public final class AtomicSlots {
    private AtomicSlots() {}

    /**
     * The element at {@code index}, created by {@code factory} if absent. Racing creators agree on
     * one winner (the loser's instance is dropped), so the factory must be side-effect free.
     */
    public static <T> T getOrCreate(AtomicReferenceArray<T> slots, int index, Supplier<T> factory) {
        T existing = slots.get(index);
        if (existing != null) {
            return existing;
        }
        T created = factory.get();
        T raced = slots.compareAndExchange(index, null, created);
        return raced == null ? created : raced;
    }
}
