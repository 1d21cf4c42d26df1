package io.cryptun.noise.device;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Static keys that sent this device a handshake initiation (whose mac1 was right and whose static
 * key decrypted) before they were peers: in a mesh, the peer is usually added a moment later,
 * when its record reaches this node, and the initiator would otherwise wait for WireGuard's 5 s
 * retry. The device answers nothing and learns nothing else from such an initiation; the caller
 * that adds the peer asks {@link #take} and, on true, starts a handshake itself. Bounded and
 * short-lived, so a flood of initiations with made-up keys costs a little memory and no more.
 */
final class UnknownInitiators {
    static final int CAPACITY = 64;
    /** An initiator is remembered this long: a few retries' worth. */
    static final long REMEMBER_NANOS = 15_000_000_000L;

    private final Map<ByteBuffer, Long> seen = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Long> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void note(byte[] staticKey, long now) {
        ByteBuffer k = ByteBuffer.wrap(staticKey.clone());
        seen.remove(k);
        seen.put(k, now);
    }

    /** True (once) when {@code staticKey} sent an initiation within {@link #REMEMBER_NANOS} of {@code now}. */
    synchronized boolean take(byte[] staticKey, long now) {
        Long at = seen.remove(ByteBuffer.wrap(staticKey));
        return at != null && now - at <= REMEMBER_NANOS;
    }
}
