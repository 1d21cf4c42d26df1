package io.cryptun.testkit;

import java.lang.management.ManagementFactory;

/** What a piece of code allocates on the heap, for tests of paths meant to allocate nothing. */
public final class Allocations {
    private Allocations() {
    }

    /** Bytes allocated by this thread while running {@code body}, or -1 if the JVM cannot tell. */
    public static long allocatedBytes(Runnable body) {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean hs) || !hs.isThreadAllocatedMemorySupported()) {
            return -1;
        }
        hs.setThreadAllocatedMemoryEnabled(true);
        long before = hs.getThreadAllocatedBytes(Thread.currentThread().getId());
        body.run();
        return hs.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
    }
}
