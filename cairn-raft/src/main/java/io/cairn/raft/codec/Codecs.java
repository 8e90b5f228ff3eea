package io.cairn.raft.codec;

import java.nio.charset.StandardCharsets;

final class Codecs {
    private Codecs() {}

    static String argvToString(byte[][] argv) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < argv.length && i < 8; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            byte[] a = argv[i];
            sb.append(new String(a, 0, Math.min(a.length, 32), StandardCharsets.UTF_8));
        }
        return sb.append(argv.length > 8 ? " ...]" : "]").toString();
    }
}
