package io.cryptun.routing.bmx7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bmx7 model on the requests a real bmx7 answered (resources bmx7/requests.tsv and the
 * configuration it held afterwards): it must accept, ignore and refuse exactly what bmx7 did,
 * and end with the same tunIn, tunOut and syncSms settings.
 */
class Bmx7ConfigurationTest {
    /** One request and bmx7's verdict: changed, unchanged or refused. */
    record Verdict(String kind, String request) {
    }

    static List<Verdict> recordedVerdicts() throws IOException {
        List<Verdict> out = new ArrayList<>();
        for (String line : resource("bmx7/requests.tsv").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            out.add(new Verdict(line.substring(0, tab), line.substring(tab + 1)));
        }
        return out;
    }

    static String resource(String name) throws IOException {
        try (InputStream in = Bmx7ConfigurationTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("test resource " + name + " missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** What a reply means: refused (no final $), unchanged (just $), or changed. */
    static String kind(String reply) {
        return !reply.endsWith("$") ? "refused" : reply.equals("$") ? "unchanged" : "changed";
    }

    /** The settings cryptun makes through the socket, instance by instance with their children. */
    static Map<String, Map<String, String>> dynamicSettings(Bmx7Options o) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String option : List.of("syncSms", "tunIn", "tunOut")) {
            for (Bmx7Options.Instance i : o.get(option)) {
                out.put(option + "=" + i.value(), i.children());
            }
        }
        return out;
    }

    @Test
    void answersEveryRecordedRequestAsBmx7Did() throws IOException {
        Bmx7Configuration model = new Bmx7Configuration();
        List<String> wrong = new ArrayList<>();
        for (Verdict v : recordedVerdicts()) {
            String got = kind(model.apply(v.request()).text());
            if (!got.equals(v.kind())) {
                wrong.add(v.request() + ": bmx7 " + v.kind() + ", model " + got);
            }
        }
        assertEquals(List.of(), wrong);
        Bmx7Options real = Bmx7Options.parseText(stripDollar(resource("bmx7/requests-final-parameters.txt")));
        assertEquals(dynamicSettings(real), dynamicSettings(model.snapshot()));
        // and the model's own renderings read back the same
        assertEquals(dynamicSettings(real), dynamicSettings(Bmx7Options.parseText(stripDollar(model.parametersText()))));
        assertEquals(dynamicSettings(real), dynamicSettings(Bmx7Options.parse(model.parametersJson())));
    }

    static String stripDollar(String s) {
        return s.endsWith("$") ? s.substring(0, s.length() - 1) : s;
    }

    @Test
    void repliesHaveBmx7sShape() {
        Bmx7Configuration m = new Bmx7Configuration();
        assertEquals("INFO  : --tunIn                   dyn1                          \n"
                + "INFO  : --tunIn                   dyn1                            /network                 10.77.0.0/16                  \n$",
                m.apply("tunIn=dyn1 /network=10.77.0.0/16").text());
        assertEquals("$", m.apply("tunIn=dyn1 /network=10.77.0.0/16").text());
        assertEquals("INFO  : --tunIn                  -\n$", m.apply("tunIn=-dyn1").text());
        Bmx7Configuration.Reply r = m.apply("tunOut=x /network=10.0.0.0/8 /tableRule=32765/7171");
        assertFalse(r.accepted());
        assertTrue(r.text().startsWith("ERROR opt_tun_search: Invalid tunOut=(null) /tableRule=32765/7171 ! Format must be"
                + " <PREF>/<TABLE> with ranges [3..65535]>/[1..254]\n"), r.text());
        assertTrue(r.text().endsWith("\n"));
        assertEquals(List.of(), m.snapshot().get("tunOut"), "nothing kept");
    }

    @Test
    void aRestartForgetsWhatTheSocketSet() {
        Bmx7Options start = Bmx7Options.parseText("PARAMETERS:\n tunOut v4any (0) \n    /network 10.0.0.0/8 (0) \n");
        Bmx7Configuration m = new Bmx7Configuration(start);
        assertTrue(m.apply("syncSms=cryptun").changed());
        assertTrue(m.snapshot().has("syncSms", "cryptun"));
        m.reset(start);
        assertFalse(m.snapshot().has("syncSms", "cryptun"));
        assertTrue(m.snapshot().has("tunOut", "v4any"));
    }

    @Test
    void aTableKeepsOnePreferenceAcrossSearches() {
        Bmx7Configuration m = new Bmx7Configuration();
        assertTrue(m.apply("tunOut=own /network=10.0.0.0/8").accepted(), "bmx7's default 32767/254");
        assertFalse(m.apply("tunOut=a /network=10.1.0.0/16 /tableRule=32767/171").accepted());
        assertFalse(m.apply("tunOut=b /network=10.1.0.0/16 /tableRule=32765/254").accepted());
        assertTrue(m.apply("tunOut=c /network=10.1.0.0/16 /tableRule=32765/171").accepted());
        assertTrue(m.apply("tunOut=c /network=10.1.0.0/16 /tableRule=32766/172").accepted(), "its own pair may move");
        assertFalse(m.apply("tunOut=bad /network=10.1.0.0/16 /tableRule=32765").accepted(),
                "bmx7 itself crashes on a tableRule without '/'");
    }
}
