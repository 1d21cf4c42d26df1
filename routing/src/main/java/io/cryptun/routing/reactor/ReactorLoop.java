package io.cryptun.routing.reactor;

import io.cryptun.noise.device.EventLog;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link MeshReactor} on its own thread: it watches bmx7's runtime directory (json/,
 * json/descriptions, json/originators, sms/rcvdSms and the directory itself) and the mesh secret
 * file's directory ({@link MeshReactor#watchedDirectories}) and scans once the
 * changes have settled, so bmx7's delete-then-rewrite sequences (a few milliseconds) are read
 * once; it also scans periodically and whenever the reactor asks to (a grace period running out,
 * a step to retry). Directories that appear later (bmx7 started after cryptun) are watched as
 * soon as they exist.
 */
public final class ReactorLoop implements AutoCloseable {
    /** Quiet time after the last change before scanning. */
    public static final long SETTLE_MILLIS = 150;
    /** A scan happens at most this long after the first change, even if changes keep coming. */
    public static final long MAX_DELAY_MILLIS = 400;

    private final MeshReactor reactor;
    private final List<Path> watched;
    private final EventLog log;
    private final WatchService watcher;
    private final Map<Path, WatchKey> keys = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    private ReactorLoop(MeshReactor reactor, EventLog log) throws IOException {
        this.reactor = reactor;
        this.log = log;
        this.watched = reactor.watchedDirectories();
        this.watcher = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::run, "cryptun-mesh");
        this.thread.setDaemon(true);
    }

    /** Starts the loop; the first scan happens at once. */
    public static ReactorLoop start(MeshReactor reactor, EventLog log) throws IOException {
        ReactorLoop loop = new ReactorLoop(reactor, log);
        loop.thread.start();
        return loop;
    }

    private static long now() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    private void run() {
        try {
            while (running) {
                watchNewDirectories();
                scan();
                long next = Math.min(now() + reactor.pollMillis(), reactor.dueAtMillis());
                if (!awaitChange(next)) {
                    continue;
                }
                settle();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        } catch (RuntimeException e) {
            log.log(EventLog.Level.ERROR, "mesh reactor stopped by an unexpected error: " + e);
        }
    }

    private void scan() {
        try {
            reactor.scan(now());
        } catch (RuntimeException e) {
            // a bug or a surprise in bmx7's output must not end the loop; the next scan tries again
            log.log(EventLog.Level.ERROR, "mesh scan failed: " + e);
        }
    }

    /** Waits for a change until {@code deadline}; true when one came. */
    private boolean awaitChange(long deadline) throws InterruptedException {
        long wait = deadline - now();
        if (wait <= 0) {
            return false;
        }
        WatchKey k = watcher.poll(wait, TimeUnit.MILLISECONDS);
        if (k == null) {
            return false;
        }
        drain(k);
        return true;
    }

    /** Waits until no change came for {@link #SETTLE_MILLIS}, or {@link #MAX_DELAY_MILLIS} passed. */
    private void settle() throws InterruptedException {
        long limit = now() + MAX_DELAY_MILLIS;
        while (running) {
            long wait = Math.min(SETTLE_MILLIS, limit - now());
            if (wait <= 0) {
                return;
            }
            WatchKey k = watcher.poll(wait, TimeUnit.MILLISECONDS);
            if (k == null) {
                return;
            }
            drain(k);
        }
    }

    private void drain(WatchKey k) {
        while (k != null) {
            k.pollEvents();
            if (!k.reset()) {
                keys.values().remove(k);
            }
            k = watcher.poll();
        }
    }

    private void watchNewDirectories() {
        for (Path dir : watched) {
            WatchKey k = keys.get(dir);
            if (k != null && k.isValid()) {
                continue;
            }
            if (!Files.isDirectory(dir)) {
                keys.remove(dir);
                continue;
            }
            try {
                keys.put(dir, dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY));
            } catch (IOException e) {
                log.log(EventLog.Level.VERBOSE, "cannot watch " + dir + ": " + e.getMessage() + " (polling instead)");
            }
        }
    }

    /** Stops the loop, then withdraws what the reactor installed ({@link MeshReactor#close}). */
    @Override
    public void close() {
        running = false;
        try {
            watcher.close();
        } catch (IOException e) {
            // closing anyway
        }
        // no interrupt: a scan in progress finishes its file and socket work; the closed watcher ends the wait
        if (thread != Thread.currentThread()) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        reactor.close();
    }
}
