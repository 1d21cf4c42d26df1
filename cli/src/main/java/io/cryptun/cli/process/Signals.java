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
     * arrives; false when handlers cannot be installed here, and false where the process was started
     * with the signal ignored (a background job's SIGINT, nohup's SIGHUP): the JVM then keeps it
     * ignored and installs nothing.
     */
    public static boolean handle(String name, Runnable action) {
        Object previous = install(name, action);
        return previous != null && !isIgnore(previous);
    }

    /**
     * As {@link #handle}, and where the process was started with the signal ignored, takes it anyway:
     * its default disposition back first, then the handler. For a signal a daemon documents as its
     * own (SIGHUP: read the configuration again), which `nohup cryptun mesh ...` or a supervisor that
     * ignores SIGHUP would otherwise turn into a `kill -HUP` that silently does nothing. A hangup then
     * reloads instead of ending the process, which is what nohup is for.
     */
    public static boolean handleEvenIfIgnored(String name, Runnable action) {
        Object previous = install(name, action);
        if (previous == null) {
            return false;
        }
        if (!isIgnore(previous)) {
            return true;
        }
        try {
            if (!Posix.defaultDisposition(number(name))) {
                return false;
            }
        } catch (RuntimeException | LinkageError e) {
            return false; // no libc through JNA here: the signal stays ignored
        }
        Object again = install(name, action);
        return again != null && !isIgnore(again);
    }

    /** Installs the handler; the handler it replaced, or null when none can be installed here. */
    private static Object install(String name, Runnable action) {
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
            return signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Whether {@code handler} is sun.misc.SignalHandler.SIG_IGN. */
    private static boolean isIgnore(Object handler) {
        try {
            return handler == Class.forName("sun.misc.SignalHandler").getField("SIG_IGN").get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** The signal's number on this system (1 for HUP on Linux). */
    private static int number(String name) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            return (int) signalClass.getMethod("getNumber").invoke(signal);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("no signal " + name, e);
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
