package io.cryptun.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Proves the JMH suite still runs: every benchmark, in a forked JVM, one 100 ms warm-up and one
 * 100 ms measurement, must produce a finite positive score. The scores themselves mean nothing
 * here (no timing is asserted); benchmarks/run-jmh.sh makes the real runs.
 */
class BenchmarksSmokeTest {

    @Test
    void everyBenchmarkRunsOnceAndScores() throws Exception {
        Path json = Path.of("target", "jmh-smoke.json").toAbsolutePath();
        Options options = new OptionsBuilder()
                .include("^io\\.cryptun\\.bench\\.")
                .forks(1)
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .shouldFailOnError(true)
                .result(json.toString())
                .resultFormat(ResultFormatType.JSON)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            double score = r.getPrimaryResult().getScore();
            assertTrue(Double.isFinite(score) && score > 0, name + " " + r.getParams() + " scored " + score);
            ran.add(name);
        }
        assertEquals(declaredBenchmarks(), ran, "benchmarks declared vs benchmarks that produced a score");
        assertTrue(Files.size(json) > 0, "JSON results written");
    }

    /** Every @Benchmark method of the classes compiled into this module's package. */
    private static Set<String> declaredBenchmarks() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(BenchClock.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = classes.resolve(BenchClock.class.getPackageName().replace('.', '/'));
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".class") || file.contains("$")) {
                    continue;
                }
                Class<?> c = Class.forName(BenchClock.class.getPackageName() + "." + file.replace(".class", ""));
                for (Method m : c.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(Benchmark.class)) {
                        names.add(c.getName() + "." + m.getName());
                    }
                }
            }
        }
        assertFalse(names.isEmpty(), "no benchmarks found in " + dir);
        return names;
    }
}
