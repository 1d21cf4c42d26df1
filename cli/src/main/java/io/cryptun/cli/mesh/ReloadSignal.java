package io.cryptun.cli.mesh;

import java.lang.reflect.Proxy;

/**
 * SIGHUP as "read the configuration again", as daemons do. By default the JVM takes SIGHUP as a
 * reason to shut down, so an operator reloading the mesh secret with {@code kill -HUP} would stop
 * the node instead. The handler is installed through {@code sun.misc.Signal} (module
 * jdk.unsupported), by reflection so the build does not depend on it; where it is missing, the
 * file is still followed by watching it.
 */
public final class ReloadSignal {
    private ReloadSignal() {
    }

    /** Runs {@code onHangup} on a thread of its own for every SIGHUP; false when that is not possible. */
    public static boolean install(Runnable onHangup) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            Thread t = new Thread(onHangup, "cryptun-reload");
                            t.setDaemon(true);
                            t.start();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "cryptun reload on SIGHUP";
                        default -> null;
                    });
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
