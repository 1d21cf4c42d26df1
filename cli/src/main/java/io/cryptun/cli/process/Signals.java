package io.cryptun.cli.process;

import java.lang.reflect.Proxy;

/**
 * Handlers for POSIX signals through {@code sun.misc.Signal} (module jdk.unsupported), by
 * reflection so the build does not depend on it. A handler replaces the JVM's own reaction (for
 * TERM, INT and HUP: running the shutdown hooks and exiting with 128 + the signal number).
 */
public final class Signals {
    private Signals() {
    }

    /**
     * Runs {@code action} on a thread of its own each time signal {@code name} ("TERM", "HUP")
     * arrives; false when handlers cannot be installed here.
     */
    public static boolean handle(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            // the signal dispatcher thread must not block in what the action does
                            Thread t = new Thread(action, "cryptun-sig" + name.toLowerCase());
                            t.setDaemon(true);
                            t.start();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "cryptun handler for SIG" + name;
                        default -> null;
                    });
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * SIGTERM and SIGINT run {@code stop} instead of exiting at once, so the daemon's main thread
     * finishes and the process ends with status 0 as wireguard-go's does (systemd counts 143 as a
     * failure unless told otherwise). Where that is impossible the JVM's default stays: the
     * shutdown hooks still clean up, and the status is 143.
     */
    public static void stopOnTermOrInt(Runnable stop) {
        handle("TERM", stop);
        handle("INT", stop);
    }
}
