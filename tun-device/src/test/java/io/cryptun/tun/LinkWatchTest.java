package io.cryptun.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.testkit.Netns;
import io.cryptun.testkit.NetnsExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Link notifications from the real kernel, in a namespace of the test's own. */
@Tag("netns")
class LinkWatchTest {
    @RegisterExtension
    final NetnsExtension netns = new NetnsExtension();

    @Test
    void anMtuChangeAndALinkGoingDownAreToldAndCloseEndsTheWait() throws Exception {
        Netns ns = netns.create("cttun");
        try (TunDevice tun = ns.callInside(() -> TunDevice.open("ctlw0"))) {
            LinkWatch watch = ns.callInside(LinkWatch::open);
            try {
                CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> await(watch));
                assertThrows(first, "nothing changed yet, so the watch waits");
                ns.ip("link", "set", "dev", "ctlw0", "mtu", "1380");
                assertTrue(first.get(5, TimeUnit.SECONDS), "an MTU change is told");
                assertEquals(1380, tun.mtu());

                ns.ip("link", "set", "dev", "ctlw0", "up");
                // the notifications of one change may come in several messages: wait for the state
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!tun.isUp() && System.nanoTime() < deadline) {
                    assertTrue(CompletableFuture.supplyAsync(() -> await(watch)).get(5, TimeUnit.SECONDS));
                }
                assertTrue(tun.isUp());

                CompletableFuture<Boolean> last = CompletableFuture.supplyAsync(() -> {
                    // drain what is left of the up change, then wait for a change that never comes
                    boolean r = true;
                    while (r) {
                        r = await(watch);
                    }
                    return r;
                });
                Thread.sleep(300);
                watch.close();
                assertFalse(last.get(5, TimeUnit.SECONDS), "close ends the wait");
            } finally {
                watch.close();
                watch.release();
            }
        }
    }

    private static boolean await(LinkWatch w) {
        try {
            return w.await();
        } catch (TunException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertThrows(CompletableFuture<Boolean> f, String message) throws Exception {
        try {
            f.get(300, TimeUnit.MILLISECONDS);
            throw new AssertionError(message);
        } catch (TimeoutException expected) {
            // still waiting
        }
    }
}
