package io.cryptun.cli.uapi;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The userspace API socket, {@code /var/run/wireguard/IFNAME.sock} (mode 0600 in a 0755 directory),
 * as every userspace WireGuard creates it so that {@code wg} and {@code wg-quick} find it.
 * Deleting the socket file stops the daemon, as with wireguard-go. At most MAX_CLIENTS are served
 * at a time (a thread each); more wait in the listen backlog until one ends, and when all slots
 * are taken, the clients that have kept theirs idle past EVICT_IDLE lose them. Any client idle
 * for IDLE_TIMEOUT is disconnected.
 */
public final class UapiServer implements AutoCloseable {
    public static final Path DEFAULT_DIR = Path.of("/var/run/wireguard");
    static final int MAX_CLIENTS = 64;
    static final long IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A client that connected and said nothing for this long may give its slot to a new one. */
    static final long EVICT_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path socketPath;
    private final ServerSocketChannel server;
    private final UapiProtocol protocol;
    private final Consumer<String> log;
    private final Runnable onSocketRemoved;
    private final Set<UapiConnection> clients = ConcurrentHashMap.newKeySet();
    private final Semaphore slots = new Semaphore(MAX_CLIENTS);
    private final Thread acceptor;
    private final Thread watcher;
    private volatile boolean open = true;

    private UapiServer(Path socketPath, ServerSocketChannel server, UapiProtocol protocol, Consumer<String> log,
                       Runnable onSocketRemoved) {
        this.socketPath = socketPath;
        this.server = server;
        this.protocol = protocol;
        this.log = log;
        this.onSocketRemoved = onSocketRemoved;
        this.acceptor = new Thread(this::acceptLoop, "cryptun-uapi");
        this.acceptor.setDaemon(true);
        this.watcher = new Thread(this::watchLoop, "cryptun-uapi-watch");
        this.watcher.setDaemon(true);
    }

    public static Path socketPath(Path dir, String ifname) {
        return dir.resolve(ifname + ".sock");
    }

    /**
     * Creates the socket. Fails when another live process owns it; a stale socket file (nobody
     * listening) is replaced.
     */
    public static UapiServer start(Path dir, String ifname, UapiProtocol protocol, Consumer<String> log,
                                   Runnable onSocketRemoved) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (AccessDeniedException e) {
            // a directory owned by someone else keeps its mode
        }
        Path path = socketPath(dir, ifname);
        checkNotInUse(dir, ifname);
        Files.deleteIfExists(path);
        // bind inside a private directory, restrict the mode, then move it into place, so the
        // socket is never reachable with a looser mode
        Path tmpDir = Files.createTempDirectory(dir, ".cryptun-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = tmpDir.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            ch.close();
            throw e;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmpDir);
        }
        UapiServer s = new UapiServer(path, ch, protocol, log, onSocketRemoved);
        s.acceptor.start();
        s.watcher.start();
        return s;
    }

    /**
     * Fails, with wireguard-go's words, when a live process serves IFNAME's socket: the directory
     * is shared by all network namespaces, so that can be an interface of the same name elsewhere.
     * A socket file nobody listens on (its daemon killed) is left to {@link #start} to replace.
     */
    public static void checkNotInUse(Path dir, String ifname) throws IOException {
        Path path = socketPath(dir, ifname);
        if (Files.exists(path) && isLive(path)) {
            throw new IOException(path + ": unix socket in use (" + ifname
                    + " is running already, perhaps in another network namespace)");
        }
    }

    private static boolean isLive(Path path) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return socketPath;
    }

    private void acceptLoop() {
        while (open) {
            try {
                if (!slots.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    evictIdle();
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                slots.release();
                if (open) {
                    log.accept("UAPI accept failed: " + e.getMessage());
                }
                return;
            }
            UapiConnection conn = new UapiConnection(c, protocol, log);
            clients.add(conn);
            Thread t = new Thread(() -> {
                try {
                    conn.run();
                } finally {
                    clients.remove(conn);
                    slots.release();
                }
            }, "cryptun-uapi-client");
            t.setDaemon(true);
            t.start();
        }
    }

    /** All slots taken: the connections that have waited past EVICT_IDLE for their client's bytes give theirs up. */
    private void evictIdle() {
        long now = System.nanoTime();
        int evicted = 0;
        for (UapiConnection c : clients) {
            if (c.waitingForInput && now - c.lastActivity > EVICT_IDLE_NANOS) {
                c.close();
                evicted++;
            }
        }
        if (evicted > 0) {
            log.accept("UAPI: all " + MAX_CLIENTS + " client slots were taken; closed " + evicted + " idle connections");
        }
    }

    private void reapIdle() {
        long now = System.nanoTime();
        for (UapiConnection c : clients) {
            if (c.waitingForInput && now - c.lastActivity > IDLE_TIMEOUT_NANOS) {
                // its thread ends on the closed channel and gives the slot back
                c.close();
            }
        }
    }

    /** Stops the daemon when its socket file is deleted (inotify through the WatchService). */
    private void watchLoop() {
        try (WatchService ws = FileSystems.getDefault().newWatchService()) {
            socketPath.getParent().register(ws, StandardWatchEventKinds.ENTRY_DELETE);
            // removed before the watch was in place: no event will come
            if (open && !Files.exists(socketPath)) {
                onSocketRemoved.run();
                return;
            }
            while (open) {
                // idle clients are looked for every second while there are any; an idle daemon sleeps
                // (close() interrupts the wait)
                WatchKey key = ws.poll(clients.isEmpty() ? 30 : 1, TimeUnit.SECONDS);
                reapIdle();
                if (key != null) {
                    for (WatchEvent<?> ev : key.pollEvents()) {
                        if (ev.context() instanceof Path p && p.getFileName().equals(socketPath.getFileName())) {
                            if (open && !Files.exists(socketPath)) {
                                log.accept("UAPI socket " + socketPath + " was removed, stopping");
                                onSocketRemoved.run();
                                return;
                            }
                        }
                    }
                    key.reset();
                }
                if (open && !Files.exists(socketPath)) {
                    onSocketRemoved.run();
                    return;
                }
            }
        } catch (IOException e) {
            log.accept("cannot watch " + socketPath.getParent() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (UapiConnection c : clients) {
            c.close();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.accept("cannot remove " + socketPath + ": " + e.getMessage());
        }
        watcher.interrupt();
    }
}
