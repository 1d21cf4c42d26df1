package io.cryptun.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * Several namespaces that are closed together, in reverse order of creation, even if closing one fails:
 * <pre>{@code
 * try (NetnsSet set = new NetnsSet()) {
 *     Netns a = set.create("cttun");
 *     Netns b = set.create("cttun");
 *     Netns.veth(a, "va", b, "vb");
 *     ...
 * }
 * }</pre>
 */
public final class NetnsSet implements AutoCloseable {

    private final List<Netns> members = new ArrayList<>();

    /** Creates a namespace (see {@link Netns#create(String)}) that this set will close. */
    public synchronized Netns create(String prefix) {
        Netns ns = Netns.create(prefix);
        members.add(ns);
        return ns;
    }

    /** Hands an existing namespace to this set for closing. */
    public synchronized Netns add(Netns ns) {
        members.add(ns);
        return ns;
    }

    /** The namespaces currently held, oldest first. */
    public synchronized List<Netns> members() {
        return List.copyOf(members);
    }

    /**
     * Closes every member (newest first) and forgets them, so the set can be reused.
     *
     * @throws IllegalStateException the first cleanup failure, with later ones suppressed
     */
    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (int i = members.size() - 1; i >= 0; i--) {
            try {
                members.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        members.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
