package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class InFlightGuardTest {

    @Test
    void refusesNewCallsOnceClosing() {
        InFlightGuard g = new InFlightGuard();
        assertTrue(g.enter());
        g.exit();
        assertTrue(g.beginClose());
        assertFalse(g.beginClose(), "only one closer");
        assertFalse(g.enter());
        assertTrue(g.isClosed());
        g.awaitNoneInFlight(); // nothing in flight: returns at once
    }

    @Test
    void closerWaitsForCallsInFlight() throws Exception {
        InFlightGuard g = new InFlightGuard();
        assertTrue(g.enter());
        assertTrue(g.beginClose());
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            g.awaitNoneInFlight();
            closed.set(true);
            done.countDown();
        });
        closer.start();
        assertFalse(done.await(200, TimeUnit.MILLISECONDS), "must wait while a call is in flight");
        assertFalse(closed.get());
        g.exit();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        closer.join();
    }
}
