package io.cryptun.routing.bmx7;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A complete control-socket reply: everything the daemon wrote until it closed the connection.
 * A successful reply ends with a single {@code $}; an error reply does not and carries
 * {@code ERROR} lines.
 */
public final class Bmx7Reply {
    private final byte[] raw;

    public Bmx7Reply(byte[] raw) {
        this.raw = raw.clone();
    }

    public byte[] raw() {
        return raw.clone();
    }

    /** True when the daemon ended the reply with {@code $}, i.e. accepted the request. */
    public boolean isSuccess() {
        return raw.length > 0 && raw[raw.length - 1] == '$';
    }

    /** The reply text without the final {@code $}. */
    public String body() {
        int n = isSuccess() ? raw.length - 1 : raw.length;
        return new String(raw, 0, n, StandardCharsets.ISO_8859_1);
    }

    /** The lines starting with {@code ERROR}, the daemon's explanation of a refused request. */
    public List<String> errorLines() {
        List<String> out = new ArrayList<>();
        for (String l : body().split("\n")) {
            if (l.startsWith("ERROR")) {
                out.add(l.strip());
            }
        }
        return out;
    }
}
