package io.cryptun.routing.bmx7;

import java.io.IOException;
import java.util.List;

/** bmx7 refused a control request (its reply lacked the final {@code $}). */
public final class Bmx7ControlException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Bmx7Reply reply;

    public Bmx7ControlException(String request, Bmx7Reply reply) {
        super("bmx7 refused '" + request + "': " + summary(reply));
        this.reply = reply;
    }

    private static String summary(Bmx7Reply reply) {
        List<String> errors = reply.errorLines();
        if (!errors.isEmpty()) {
            return String.join(" | ", errors);
        }
        String body = reply.body().strip();
        return body.isEmpty() ? "(empty reply)" : body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    public Bmx7Reply reply() {
        return reply;
    }
}
