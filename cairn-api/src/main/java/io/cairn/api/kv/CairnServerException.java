package io.cairn.api.kv;

import java.util.Locale;

/**
 * Any other error the store reported, with its Redis error text as the message (for example
 * {@code "ERR syntax error"} or {@code "CROSSSLOT Keys in request don't hash to the same slot"}).
 * The text is kept verbatim so it can be matched against Redis documentation and server logs.
 */
public final class CairnServerException extends CairnException {
    private final String errorText;

    public CairnServerException(String errorText) {
        this(errorText, null);
    }

    public CairnServerException(String errorText, Throwable cause) {
        super(errorText == null || errorText.isBlank() ? "server error" : errorText, false, cause);
        this.errorText = errorText == null ? "" : errorText;
    }

    /** The error line as the server sent it, without the leading {@code -}. */
    public String errorText() {
        return errorText;
    }

    /** The error code: the first word of the text, upper case ({@code ERR}, {@code WRONGTYPE}, ...). */
    public String code() {
        int space = errorText.indexOf(' ');
        return (space < 0 ? errorText : errorText.substring(0, space)).toUpperCase(Locale.ROOT);
    }
}
