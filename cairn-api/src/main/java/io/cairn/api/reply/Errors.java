package io.cairn.api.reply;

/** Redis's exact error texts, shared by every module that produces them. */
public final class Errors {
    private Errors() {}

    public static final Reply.Error SYNTAX = Reply.err("syntax error");
    public static final Reply.Error NOT_INTEGER = Reply.err("value is not an integer or out of range");
    public static final Reply.Error NOT_FLOAT = Reply.err("value is not a valid float");
    public static final Reply.Error WRONGTYPE =
            Reply.error("WRONGTYPE Operation against a key holding the wrong kind of value");
    public static final Reply.Error NO_SUCH_KEY = Reply.err("no such key");
    public static final Reply.Error OVERFLOW = Reply.err("increment or decrement would overflow");
    public static final Reply.Error EXECABORT =
            Reply.error("EXECABORT Transaction discarded because of previous errors.");

    public static Reply.Error wrongArity(String commandLowerCase) {
        return Reply.err("wrong number of arguments for '" + commandLowerCase + "' command");
    }

    public static Reply.Error invalidExpire(String commandLowerCase) {
        return Reply.err("invalid expire time in '" + commandLowerCase + "' command");
    }
}
