package io.cairn.http;

/**
 * A request the API refuses: its HTTP status and the message of the JSON error body. Thrown while
 * a request is parsed and validated, before anything reaches the command service. Stackless:
 * bad input is an ordinary outcome, not a fault worth a stack trace.
 */
final class ApiException extends RuntimeException {
    private final int status;

    ApiException(int status, String message) {
        super(message, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    int status() {
        return status;
    }

    HttpResult toResult() {
        return HttpResult.error(status, getMessage());
    }
}
