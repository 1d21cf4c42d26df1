package io.cryptun.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.routing.bmx7.Bmx7Configuration;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.routing.bmx7.Bmx7Reply;
import io.cryptun.testkit.NetnsAssumptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bmx7 model the stand-ins answer from ({@link Bmx7Configuration}) against a live bmx7 on the
 * same requests: every request of the recorded corpus (routing's test resource
 * bmx7/requests.tsv: names, networks, bandwidths, every tableRule case, prefix bounds, gwId and
 * gwName forms, unknown children, repeats and removals) goes to both, and both must accept,
 * ignore and refuse alike and end with the same tunIn, tunOut and syncSms settings. It also
 * checks the corpus's recorded verdicts are still bmx7's. Runs when {@code BMX7} is set.
 */
@Tag("netns")
class Bmx7StandInConformanceIT {
    private static final Path CORPUS = Path.of("..", "routing", "src", "test", "resources", "bmx7", "requests.tsv");

    @Test
    void theStandInRefusesWhatBmx7RefusesAndAcceptsWhatItAccepts() throws Exception {
        String missing = RealBmx7Lab.Bmx7Install.missingReason();
        if (missing != null) {
            System.err.println("Bmx7StandInConformanceIT skipped: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        NetnsAssumptions.assumeNetns();
        NetnsAssumptions.assumeCommand("cc");
        assertTrue(Files.exists(CORPUS), "the corpus is read from the source tree: " + CORPUS.toAbsolutePath());
        try (RealBmx7Lab lab = new RealBmx7Lab(false)) {
            RealBmx7Lab.Node a = lab.node("A");
            a.startBmx7();
            MeshLab.await("bmx7 answers on its control socket", Duration.ofSeconds(30), () -> a.parameters() != null);
            Bmx7Configuration model = new Bmx7Configuration();
            List<String> differences = new ArrayList<>();
            int requests = 0;
            for (String line : Files.readAllLines(CORPUS)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                String recorded = line.substring(0, tab);
                String request = line.substring(tab + 1);
                Bmx7Reply real = a.control().request(request.split(" "));
                String live = kind(real);
                String modelled = kind(model.apply(request).text());
                requests++;
                if (!live.equals(modelled) || !live.equals(recorded)) {
                    differences.add(request + ": bmx7 now " + live + ", recorded " + recorded + ", model " + modelled
                            + (live.equals("refused") ? " (" + String.join(" | ", real.errorLines()) + ")" : ""));
                }
            }
            assertEquals(List.of(), differences);
            Bmx7Options live = a.parameters();
            assertEquals(dynamicSettings(live), dynamicSettings(model.snapshot()));
            System.out.println("bmx7 and the model agree on all " + requests + " requests of the corpus and on the "
                    + dynamicSettings(live).size() + " settings they leave");
        }
    }

    private static String kind(Bmx7Reply r) {
        return kind(new String(r.raw(), java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    private static String kind(String reply) {
        return !reply.endsWith("$") ? "refused" : reply.equals("$") ? "unchanged" : "changed";
    }

    private static Map<String, Map<String, String>> dynamicSettings(Bmx7Options o) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String option : List.of("syncSms", "tunIn", "tunOut")) {
            for (Bmx7Options.Instance i : o.get(option)) {
                out.put(option + "=" + i.value(), i.children());
            }
        }
        return out;
    }
}
