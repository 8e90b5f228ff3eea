package io.cairn.http;

import io.cairn.api.reply.Reply;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Redis-style error replies and infrastructure failures as HTTP statuses. The JSON body keeps the
 * Redis error text unchanged (its first word is the code) so clients and logs see the same words
 * over every protocol.
 *
 * <table>
 *   <caption>Error mapping</caption>
 *   <tr><th>reply</th><th>status</th><th>why</th></tr>
 *   <tr><td>CROSSSLOT</td><td>409</td><td>the keys live in different partitions; nothing was applied</td></tr>
 *   <tr><td>WRONGTYPE, ERR value is not an integer / would overflow</td><td>409</td><td>the stored data
 *       conflicts with the request; nothing was applied</td></tr>
 *   <tr><td>TRYAGAIN, CLUSTERDOWN, NOQUORUM, LOADING, MASTERDOWN, MOVED, ASK</td><td>503</td><td>the
 *       cluster cannot serve it now; CLUSTERDOWN of a write says whether it may have been applied</td></tr>
 *   <tr><td>TIMEOUT</td><td>504</td><td>no answer in time; a write's outcome is unknown</td></tr>
 *   <tr><td>other ERR</td><td>400</td><td>the request is invalid for the server (e.g. an engine limit)</td></tr>
 *   <tr><td>anything else</td><td>500</td><td></td></tr>
 * </table>
 */
final class ReplyErrors {
    private ReplyErrors() {}

    static int status(Reply.Error error) {
        String text = error.text();
        int space = text.indexOf(' ');
        String code = space < 0 ? text : text.substring(0, space);
        return switch (code) {
            case "CROSSSLOT", "WRONGTYPE" -> 409;
            case "TRYAGAIN", "CLUSTERDOWN", "NOQUORUM", "LOADING", "MASTERDOWN", "MOVED", "ASK" -> 503;
            case "TIMEOUT" -> 504;
            case "ERR" -> isDataConflict(text) ? 409 : 400;
            default -> 500;
        };
    }

    /** ERR replies caused by what is stored rather than by the request's form. */
    static boolean isDataConflict(String text) {
        return text.startsWith("ERR value is not an integer") || text.startsWith("ERR increment or decrement would overflow");
    }

    static HttpResult toResult(Reply.Error error) {
        return HttpResult.error(status(error), error.text());
    }

    /** An exceptionally completed service call: timeouts 504, everything else (shutdown, no quorum) 503. */
    static HttpResult failure(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof ApiException api) {
            return api.toResult();
        }
        if (cause instanceof TimeoutException) {
            return HttpResult.error(504, "TIMEOUT no answer from the command service in time; a write's outcome is unknown");
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return HttpResult.error(503, "UNAVAILABLE " + message);
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof CancellationException ? new IllegalStateException("request cancelled") : t;
    }
}
