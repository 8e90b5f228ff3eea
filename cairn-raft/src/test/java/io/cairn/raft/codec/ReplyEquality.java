package io.cairn.raft.codec;

import io.cairn.api.reply.Reply;
import java.util.Arrays;
import java.util.List;

/** Structural equality for replies: {@link Reply.Bulk} holds a byte[] whose record equals is identity. */
public final class ReplyEquality {
    private ReplyEquality() {}

    public static boolean same(Reply a, Reply b) {
        if (a instanceof Reply.Bulk x && b instanceof Reply.Bulk y) {
            return Arrays.equals(x.value(), y.value());
        }
        if (a instanceof Reply.DoubleReply x && b instanceof Reply.DoubleReply y) {
            return Double.doubleToRawLongBits(x.value()) == Double.doubleToRawLongBits(y.value());
        }
        List<Reply> la = items(a), lb = items(b);
        if (la != null || lb != null) {
            if (la == null || lb == null || a.getClass() != b.getClass() || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!same(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    public static boolean sameAll(List<Reply> a, List<Reply> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!same(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static List<Reply> items(Reply r) {
        return switch (r) {
            case Reply.Array x -> x.items();
            case Reply.MapReply x -> x.entries();
            case Reply.SetReply x -> x.items();
            default -> null;
        };
    }
}
