package io.cairn.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.tx.TransactionRunner;
import io.cairn.commands.tx.TxContext;
import io.cairn.commands.tx.TxOutcome;
import io.cairn.commands.tx.TxResult;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a validated {@link ExecuteRequest} through the protocol-neutral {@link TransactionRunner}
 * (one MULTI/EXEC block, all or nothing, optimistic when an incr sits next to other writes; see
 * there) and translates its outcome into HTTP:
 * <ul>
 *   <li>every command ran: 200 {@code {"results":[...]}}, one result per command (table below);</li>
 *   <li>an incr would fail on the stored data, or a command failed with nothing applied: its Redis text
 *       prefixed by its index, {@code "commands[i]: ... (nothing was applied)"}, with the status of
 *       {@link ReplyErrors} (409 for data conflicts);</li>
 *   <li>the whole block refused (CROSSSLOT, TIMEOUT, ...): the status of {@link ReplyErrors}, nothing applied;</li>
 *   <li>the incremented keys kept changing for {@value HttpSettings#EXECUTE_MAX_ATTEMPTS} attempts:
 *       409 {@code CONFLICT}, nothing applied, safe to retry;</li>
 *   <li>the service failed: 503/504 ({@link ReplyErrors#failure});</li>
 *   <li>an error that should have been impossible (a write failing next to applied writes, a reply of
 *       the wrong shape): 500 saying so, never passed off as success or as "nothing applied".</li>
 * </ul>
 *
 * <table>
 *   <caption>Results</caption>
 *   <tr><th>cmd_type</th><th>Redis</th><th>result</th></tr>
 *   <tr><td>get</td><td>GET key</td><td>{@code {"value":"v"}}, {@code {"value":null}} if absent</td></tr>
 *   <tr><td>set</td><td>SET key value [PX ms]</td><td>{@code {"ok":true}}</td></tr>
 *   <tr><td>delete</td><td>DEL key</td><td>{@code {"deleted":true}} or {@code false} if it was absent</td></tr>
 *   <tr><td>incr</td><td>INCRBY key by</td><td>{@code {"value":42}} (a JSON number, the new value)</td></tr>
 *   <tr><td>cas</td><td>SET key value IFEQ expected GET [PX ms]; with {@code "expected":null}: SET key value NX GET [PX ms]</td>
 *       <td>{@code {"swapped":true}}, or {@code {"swapped":false,"value":current}} (current value, null if absent)</td></tr>
 * </table>
 * Values in results follow {@link Json}'s bytes rule ({@code value} or {@code value_base64}).
 */
final class ExecuteRunner {
    private static final Logger log = LoggerFactory.getLogger(ExecuteRunner.class);

    private final TransactionRunner runner;

    ExecuteRunner(CommandService service, HttpSettings settings, Counter retries) {
        this.runner = new TransactionRunner(service, settings.executeMaxAttempts(), retries::increment);
    }

    CompletableFuture<HttpResult> run(ExecuteRequest request) {
        // No deadline of the runner's own: the request timeout of HttpRequestHandler bounds the whole request.
        return runner.run(request.commands(), TxContext.unbounded())
                .thenApply(outcome -> internal(() -> answer(request, outcome)));
    }

    /** The HTTP answer to the runner's outcome. */
    private HttpResult answer(ExecuteRequest request, TxOutcome outcome) {
        return switch (outcome) {
            case TxOutcome.Completed done -> {
                List<TxResult> results = done.results();
                if (results.size() != request.commands().size()) {
                    throw new IllegalStateException(request.commands().size() + " commands got " + results.size()
                            + " results");
                }
                ArrayNode list = Json.NODES.arrayNode(results.size());
                for (TxResult r : results) {
                    list.add(json(r, request.base64()));
                }
                ObjectNode body = Json.object();
                body.set("results", list);
                yield HttpResult.json(200, body);
            }
            case TxOutcome.Refused refused -> ReplyErrors.toResult(refused.error());
            case TxOutcome.DataConflict c -> nothingApplied(c.index(), c.error());
            case TxOutcome.OperationFailed f -> nothingApplied(f.index(), f.error());
            case TxOutcome.PartiallyApplied p -> HttpResult.error(500, "commands[" + p.index() + "]: " + p.error().text()
                    + " after validation; " + p.appliedWrites() + " other write(s) of this request were applied");
            case TxOutcome.Conflict c -> HttpResult.error(409, "CONFLICT the incremented keys kept changing under "
                    + "concurrent writes (" + c.attempts() + " attempts, " + HttpSettings.EXECUTE_MAX_ATTEMPTS
                    + "); nothing was applied, retry the request");
            case TxOutcome.Unavailable u -> ReplyErrors.failure(u.cause());
            case TxOutcome.Internal i -> HttpResult.error(500, "internal error: " + i.message());
            case TxOutcome.Read r -> throw new IllegalStateException("a transaction answered a read: " + r);
        };
    }

    private static HttpResult nothingApplied(int index, Reply.Error error) {
        return HttpResult.error(ReplyErrors.status(error),
                "commands[" + index + "]: " + error.text() + " (nothing was applied)");
    }

    /** The JSON result of one command (the table of the class comment). */
    static ObjectNode json(TxResult result, boolean base64) {
        ObjectNode o = Json.object();
        switch (result) {
            case TxResult.Value v -> Json.putBytes(o, "value", v.value(), base64);
            case TxResult.Written w -> o.put("ok", true);
            case TxResult.Deleted d -> o.put("deleted", d.deleted());
            case TxResult.Incremented n -> o.put("value", n.value());
            case TxResult.Compared c -> {
                o.put("swapped", c.swapped());
                if (!c.swapped()) {
                    Json.putBytes(o, "value", c.previous(), base64);
                }
            }
        }
        return o;
    }

    /**
     * Runs this layer's own logic on a service reply: an exception there is a bug of this layer (an
     * unexpected reply shape), answered 500 and logged, not mistaken for the service being unavailable.
     */
    static HttpResult internal(java.util.function.Supplier<HttpResult> logic) {
        try {
            return logic.get();
        } catch (RuntimeException e) {
            log.error("request failed inside the HTTP layer", e);
            return HttpResult.error(500, "internal error: " + e.getMessage());
        }
    }
}
