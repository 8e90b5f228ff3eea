package io.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every data command ({@code put}, {@code get}, {@code delete}, {@code scan}, {@code stats},
 * {@code ping}) shares: connect to one node over RESP (any node serves every key in the default
 * proxy mode), run, print as a table or JSON, and map failures to the documented exit codes
 * (0 ok, 1 error, 2 not found, 3 cannot connect, 4 timeout).
 */
abstract class DataCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Spec
    CommandSpec spec;

    PrintWriter out;
    PrintWriter err;

    /** Runs the command on {@code session}; returns the exit code. */
    abstract int run(RespSession session) throws AdminClient.Failure;

    /** Checks the command's own arguments before connecting (a failure exits 1 without a connection). */
    void validateArguments() throws AdminClient.Failure {}

    @Override
    public final Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            options.validate();
            validateArguments();
            try (RespSession session = RespSession.connect(options)) {
                return run(session);
            }
        } catch (AdminClient.Failure f) {
            err.println("cairn " + spec.name() + ": " + f.getMessage());
            return f.exitCode;
        } finally {
            out.flush();
            err.flush();
        }
    }

    boolean json() {
        return options.isJson();
    }

    void printJson(Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /** Text of a value if it is valid UTF-8, else null (the caller then shows it base64-encoded). */
    static String utf8OrNull(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A binary-safe JSON field for {@code value}: {@code name} as text, or {@code name_base64}. */
    static void putValue(Map<String, Object> json, String name, byte[] value) {
        String text = utf8OrNull(value);
        if (text != null) {
            json.put(name, text);
        } else {
            json.put(name + "_base64", Base64.getEncoder().encodeToString(value));
        }
    }

    static String text(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }
}
