package io.cryptun.testkit;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs JUnit test classes in another JVM (typically a newer JDK than the build's) with this
 * JVM's test classpath, and reports each test method's outcome, so a test on JDK 17 can assert
 * that the same tests passed, and were not skipped, over there.
 */
public final class JUnitFork {
    private static final String MARK = "JUNITFORK ";

    /** Each test method ({@code Class#method}) and its outcome: SUCCESSFUL, FAILED, ABORTED or SKIPPED. */
    public record Result(int exitCode, String output, Map<String, String> outcomes) {
        public String outcome(Class<?> testClass, String method) {
            return outcomes.getOrDefault(testClass.getName() + "#" + method, "NOT RUN");
        }
    }

    private JUnitFork() {
    }

    public static Result run(Path java, List<String> jvmOptions, Class<?>... testClasses)
            throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classpath, JUnitFork.class.getName()));
        Arrays.stream(testClasses).map(Class::getName).forEach(cmd::add);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out;
        try {
            out = readAll(p, 180);
        } finally {
            p.destroyForcibly();
        }
        String output = new String(out, StandardCharsets.UTF_8);
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith(MARK)) {
                String[] f = line.substring(MARK.length()).split(" ", 3);
                // a parameterized method: FAILED beats SUCCESSFUL beats ABORTED/SKIPPED
                outcomes.merge(f[1], f[0], (a, b) -> rank(a) >= rank(b) ? a : b);
            }
        }
        return new Result(p.exitValue(), output, outcomes);
    }

    /** Its output, read while it runs (a full pipe would stall it). */
    private static byte[] readAll(Process p, int timeoutSeconds) throws IOException, InterruptedException {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        Thread pump = new Thread(() -> {
            try {
                p.getInputStream().transferTo(buf);
            } catch (IOException ignored) {
                // the process ended or was stopped: what was read is the output
            }
        }, "junitfork-output");
        pump.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            pump.join(5000);
            throw new IOException("forked JVM did not finish in " + timeoutSeconds + " s:\n" + buf);
        }
        pump.join(5000);
        return buf.toByteArray();
    }

    private static int rank(String outcome) {
        switch (outcome) {
            case "FAILED":
                return 3;
            case "SUCCESSFUL":
                return 2;
            default:
                return 1;
        }
    }

    /** In the forked JVM: runs the named classes, one line per test, exit 1 if any failed. */
    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String name : args) {
            request.selectors(DiscoverySelectors.selectClass(Class.forName(name)));
        }
        LauncherDiscoveryRequest built = request.build();
        Launcher launcher = LauncherFactory.create();
        int[] failures = {0};
        launcher.execute(built, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                report(id, "SKIPPED", reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest() && result.getStatus() != TestExecutionResult.Status.FAILED) {
                    return;
                }
                String status = result.getStatus().name();
                if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    failures[0]++;
                }
                report(id, status, result.getThrowable().map(String::valueOf).orElse(""));
                result.getThrowable().filter(t -> result.getStatus() == TestExecutionResult.Status.FAILED)
                        .ifPresent(t -> t.printStackTrace(out));
            }

            private void report(TestIdentifier id, String status, String detail) {
                String name = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                        .map(m -> m.getClassName() + "#" + m.getMethodName()).orElse(id.getUniqueId());
                out.println(MARK + status + " " + name + " " + id.getDisplayName() + " " + detail);
            }
        });
        out.flush();
        System.exit(failures[0] > 0 ? 1 : 0);
    }
}
