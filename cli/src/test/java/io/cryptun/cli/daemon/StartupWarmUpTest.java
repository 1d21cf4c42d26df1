package io.cryptun.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The start-up warm-up: what it runs, and which one an interface waits for. */
class StartupWarmUpTest {

    /** It carries datagrams through the native UDP transport on loopback, not only handshakes in memory. */
    @Test
    void theWarmUpCarriesLoopbackDatagrams() {
        int received = StartupWarmUp.runAll(4, "auto");
        assertTrue(received > 0 && received <= 32, "loopback datagrams received: " + received);
    }

    /** The warm-up started with the process is the one the interface waits for, when it warms the same backend. */
    @Test
    void anInterfaceTakesTheEarlyWarmUpOfItsBackend() throws InterruptedException {
        StartupWarmUp.beginEarly("auto");
        StartupWarmUp w = StartupWarmUp.forInterface(StartupWarmUp.DEFAULT_HANDSHAKES, "auto");
        assertTrue(w.awaitDone(60_000), "finished");
        assertNull(w.failure());
        assertTrue(w.tookMillis() >= 0);
        // taken: the next interface starts its own
        StartupWarmUp next = StartupWarmUp.forInterface(0, "auto");
        assertNotSame(w, next);
        assertTrue(next.awaitDone(1), "no warm-up: nothing to wait for");
        assertEquals(-1, next.tookMillis());

        StartupWarmUp.beginEarly("auto");
        StartupWarmUp other = StartupWarmUp.forInterface(1, "bc");
        assertTrue(other.awaitDone(60_000));
        assertNull(other.failure(), "a warm-up of its own backend");
        StartupWarmUp.forInterface(0, "auto").awaitDone(60_000);
    }

    @Test
    void noWarmUpWhenTheCountIsZero() throws InterruptedException {
        StartupWarmUp w = StartupWarmUp.begin(0, "auto");
        assertTrue(w.awaitDone(0));
        assertSame(null, w.failure());
    }
}
