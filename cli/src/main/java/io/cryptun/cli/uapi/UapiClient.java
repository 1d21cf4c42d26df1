package io.cryptun.cli.uapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A client of the UAPI socket, for `cryptun show` and tests: one operation per connection, as wg does. */
public final class UapiClient {
    private UapiClient() {
    }

    /** Sends {@code request} and returns the reply up to and including its blank line. */
    public static String exchange(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    break;
                }
                reply.write(in.array(), 0, n);
                String s = reply.toString(StandardCharsets.UTF_8);
                if (s.endsWith("\n\n") && s.contains("errno=")) {
                    break;
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /** The reply's key=value lines in order (repeated keys kept), without errno; throws on a non-zero errno. */
    public static List<Map.Entry<String, String>> lines(String reply) throws IOException {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String line : reply.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException("malformed reply line: " + line);
            }
            String k = line.substring(0, eq);
            String v = line.substring(eq + 1);
            if (k.equals("errno")) {
                if (!v.equals("0")) {
                    throw new IOException("errno=" + v);
                }
                continue;
            }
            out.add(Map.entry(k, v));
        }
        return out;
    }

    public static Map<String, String> map(String reply) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : lines(reply)) {
            m.put(e.getKey(), e.getValue());
        }
        return m;
    }
}
