package io.cryptun.noise.allowedips;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IpPrefixTest {
    @Test
    void parsesCanonicalForms() throws Exception {
        assertEquals("10.0.0.0/8", IpPrefix.parse("10.1.2.3/8").toString());
        assertEquals("fd00::/64", IpPrefix.parse("fd00::1/64").toString());
        assertEquals("::/0", IpPrefix.parse("::/0").toString());
        assertEquals("::1/128", IpPrefix.parse("::1").toString());
        assertEquals("1.2.3.4/32", IpPrefix.parse("1.2.3.4").toString());
        assertEquals("2001:db8::1:0:0:1/128", IpPrefix.parse("2001:DB8:0:0:1:0:0:1/128").toString());
        assertEquals("::ffff:1.2.3.4/128", IpPrefix.parse("::ffff:1.2.3.4/128").toString());
        assertEquals("fd00:a::/32", IpPrefix.parse("fd00:a:0::/32").toString());
        assertEquals("1::/16", IpPrefix.parse("1::/16").toString());
    }

    @Test
    void refusesWhatIsNotANumericAddressWithoutLookingAnythingUp() {
        String[] bad = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04444", "01.2.3.a", "١.2.3.4", "a:b", ".:1",
            ":1::2", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "12345::", "fd00::g", "localhost",
            "::1:", "1.2.3.4/", "1.2.3.4/33", "::/129", "1.2.3.4/x", "1.2.3.4:5"};
        for (String b : bad) {
            assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(b), b);
        }
    }

    @Test
    void agreesWithTheJdkOnRandomAddresses() throws Exception {
        Random r = new Random(1);
        for (int i = 0; i < 5000; i++) {
            byte[] a = new byte[i % 2 == 0 ? 4 : 16];
            r.nextBytes(a);
            if (a.length == 16 && r.nextBoolean()) {
                for (int j = r.nextInt(16); j < 16 && r.nextInt(4) > 0; j++) {
                    a[j] = 0;
                }
            }
            String text = InetAddress.getByAddress(a).getHostAddress();
            if (text.contains(":") && text.startsWith("::ffff:")) {
                continue;
            }
            byte[] parsed = IpPrefix.parseNumericAddress(text);
            assertArrayEquals(InetAddress.getByName(text).getAddress(), parsed.length == 16 || a.length == 4 ? parsed : parsed);
            // our printing parses back to the same bytes
            assertArrayEquals(parsed, IpPrefix.parseNumericAddress(IpPrefix.hostString(parsed)));
            assertTrue(IpPrefix.of(parsed, parsed.length * 8).contains(parsed));
        }
    }
}
