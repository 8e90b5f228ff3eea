package io.cairn.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline command line into arguments exactly like Redis's {@code sdssplitargs}:
 * blanks separate arguments; "double quotes" support \n \r \t \b \a \xHH and backslash escapes;
 * 'single quotes' support \'; a closing quote must be followed by a blank or the end. The line
 * ends at the first NUL byte, as the C original reads it as a C string.
 */
final class InlineParser {
    private InlineParser() {}

    /** The arguments, or null for unbalanced quotes (Redis's "unbalanced quotes in request"). */
    static byte[][] split(byte[] line) {
        int end = 0;
        while (end < line.length && line[end] != 0) {
            end++;
        }
        List<byte[]> args = new ArrayList<>();
        int p = 0;
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        while (true) {
            while (p < end && isSpace(line[p])) {
                p++;
            }
            if (p >= end) {
                return args.toArray(new byte[0][]);
            }
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            current.reset();
            while (!done) {
                int c = p < end ? line[p] : 0;
                int next = p + 1 < end ? line[p + 1] : 0;
                if (inDouble) {
                    if (c == '\\' && next == 'x' && p + 3 < end && isHex(line[p + 2]) && isHex(line[p + 3])) {
                        current.write(hex(line[p + 2]) * 16 + hex(line[p + 3]));
                        p += 3;
                    } else if (c == '\\' && next != 0) {
                        p++;
                        current.write(switch (next) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> next;
                        });
                    } else if (c == '"') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else if (inSingle) {
                    if (c == '\\' && next == '\'') {
                        p++;
                        current.write('\'');
                    } else if (c == '\'') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDouble = true;
                        case '\'' -> inSingle = true;
                        default -> current.write(c);
                    }
                }
                if (p < end) {
                    p++;
                }
            }
            args.add(current.toByteArray());
        }
    }

    /** C's isspace in the "C" locale. */
    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == 0x0b || b == '\f' || b == '\r';
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    private static int hex(byte b) {
        return b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
    }
}
