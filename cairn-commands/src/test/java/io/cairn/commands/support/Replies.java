package io.cairn.commands.support;

import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/** Renders replies the way redis-cli --no-raw shows them, so expectations read like Redis transcripts. */
public final class Replies {
    private Replies() {}

    public static String render(Reply r) {
        return switch (r) {
            case Reply.Simple s -> s.text();
            case Reply.Error e -> "(error) " + e.text();
            case Reply.Int i -> "(integer) " + i.value();
            case Reply.Bulk b -> "\"" + escape(b.value()) + "\"";
            case Reply.Null n -> "(nil)";
            case Reply.Array a -> a.items().stream().map(Replies::render).collect(Collectors.joining(", ", "[", "]"));
            case Reply.MapReply m -> m.entries().stream().map(Replies::render).collect(Collectors.joining(", ", "{", "}"));
            case Reply.SetReply s -> s.items().stream().map(Replies::render).collect(Collectors.joining(", ", "~[", "]"));
            case Reply.DoubleReply d -> "(double) " + d.value();
            case Reply.BoolReply b -> "(bool) " + b.value();
            case Reply.Verbatim v -> v.text();
        };
    }

    private static String escape(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int c = x & 0xFF;
            if (c == '"' || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c >= 0x20 && c < 0x7F) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.toString();
    }

    public static byte[][] argv(String... args) {
        byte[][] a = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            a[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }
}
