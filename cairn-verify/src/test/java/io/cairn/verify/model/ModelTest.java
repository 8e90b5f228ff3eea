package io.cairn.verify.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ModelTest {
    private static Op ok(OpKind kind, String output, String... input) {
        return Op.of(0, 0, "k", kind, output, 0, 1, Status.OK, input);
    }

    private static Op info(OpKind kind, String... input) {
        return Op.of(0, 0, "k", kind, null, 0, Long.MAX_VALUE, Status.INFO, input);
    }

    @Test
    void register() {
        RegisterModel m = new RegisterModel();
        RegisterModel.Value absent = m.init();
        RegisterModel.Value a = new RegisterModel.Value("a");
        assertEquals(Optional.of(absent), m.step(absent, ok(OpKind.READ, null)));
        assertEquals(Optional.empty(), m.step(absent, ok(OpKind.READ, "a")));
        assertEquals(Optional.of(a), m.step(absent, ok(OpKind.WRITE, null, "a")));
        assertEquals(Optional.of(a), m.step(absent, ok(OpKind.CAS, "true", null, "a")));
        assertEquals(Optional.empty(), m.step(absent, ok(OpKind.CAS, "false", null, "a")));
        assertEquals(Optional.of(a), m.step(a, ok(OpKind.CAS, "0", null, "b")));
        assertEquals(Optional.of(new RegisterModel.Value("b")), m.step(a, ok(OpKind.CAS, "1", "a", "b")));
        assertEquals(Optional.of(absent), m.step(a, ok(OpKind.DELETE, null)));
        // Indeterminate CAS: deterministic effect, output not checked.
        assertEquals(Optional.of(new RegisterModel.Value("b")), m.step(a, info(OpKind.CAS, "a", "b")));
        assertEquals(Optional.of(a), m.step(a, info(OpKind.CAS, "x", "b")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.CAS, "maybe", "a", "b")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.CAS, "true", "a")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.INCR, "1", "1")));
        assertEquals("absent", m.describe(absent));
    }

    @Test
    void counter() {
        CounterModel m = new CounterModel();
        assertEquals(Optional.of(0L), m.step(0L, ok(OpKind.READ, null)));
        assertEquals(Optional.of(0L), m.step(0L, ok(OpKind.READ, "0")));
        assertEquals(Optional.of(5L), m.step(3L, ok(OpKind.INCR, "5", "2")));
        assertEquals(Optional.empty(), m.step(3L, ok(OpKind.INCR, "4", "2")));
        assertEquals(Optional.of(4L), m.step(3L, ok(OpKind.INCR, "4")));
        assertEquals(Optional.of(1L), m.step(3L, info(OpKind.INCR, "-2")));
        assertEquals(Optional.of(9L), m.step(3L, ok(OpKind.WRITE, null, "9")));
        assertEquals(Optional.of(0L), m.step(3L, ok(OpKind.DELETE, null)));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.INCR, "x", "1")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.INCR, "1", "one")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.APPEND, null, "t")));
    }

    @Test
    void append() {
        AppendModel m = new AppendModel();
        assertEquals(Optional.of(""), m.step("", ok(OpKind.READ, null)));
        assertEquals(Optional.of("a,b,"), m.step("a,", ok(OpKind.APPEND, "4", "b,")));
        assertEquals(Optional.empty(), m.step("a,", ok(OpKind.READ, "a,b,")));
        assertTrue(m.isReadOnly(ok(OpKind.READ, "x")));
        assertThrows(IllegalArgumentException.class, () -> m.validate(ok(OpKind.APPEND, null)));
    }
}
