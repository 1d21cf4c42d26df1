package io.cryptun.routing;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.noise.crypto.Keys;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CryptunRecordTest {
    private static final String C_TEXT =
            "v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=51820 tun4=10.254.3.1/32 tun6=2001:db8:3::1/128\n";

    @Test
    void parsesEveryCapturedSmsFileAndFormatsItBackByteForByte() throws Exception {
        String[][] files = {
                {"sms/sendSms/cryptun", "+HX/i2gqrwug7XP3GARMr3US5EGHgMc6bM3TRgSIUxM=", "1"},
                {"sms/rcvdSms/" + Fixtures.A + ":cryptun", "+HX/i2gqrwug7XP3GARMr3US5EGHgMc6bM3TRgSIUxM=", "1"},
                {"sms/rcvdSms/" + Fixtures.C + ":cryptun", "fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk=", "3"},
                {"sms/rcvdSms/" + Fixtures.D + ":cryptun", "+/oQSoIyDLKSzjJS+zTwCDl527Hzs5NfyTuzmPHJvU0=", "4"},
        };
        for (String[] f : files) {
            byte[] raw = Fixtures.bytes(f[0]);
            assertEquals(106, raw.length, f[0]);
            CryptunRecord r = CryptunRecord.parse(raw);
            assertArrayEquals(Keys.fromBase64(f[1]), r.publicKey());
            assertEquals(51820, r.port());
            assertEquals(List.of(IpPrefix.parse("10.254." + f[2] + ".1/32")), r.tun4());
            assertEquals(List.of(IpPrefix.parse("2001:db8:" + f[2] + "::1/128")), r.tun6());
            assertArrayEquals(raw, r.toBytes(), "format(parse(x)) == x for " + f[0]);
        }
    }

    @Test
    void unknownFieldsAreIgnoredButMustLookLikeFields() throws Exception {
        CryptunRecord plain = CryptunRecord.parse(C_TEXT);
        String extended = C_TEXT.replace("\n", " mtu=1420 future.flag=x-y_z psk-hint=\n");
        assertEquals(plain, CryptunRecord.parse(extended));
        for (String bad : List.of(" Mtu=1", " 9x=1", " m$u=1", " novalue", " =x")) {
            RecordFormatException e = assertThrows(RecordFormatException.class,
                    () -> CryptunRecord.parse(C_TEXT.replace("\n", bad + "\n")), bad);
            assertEquals(RecordFormatException.Problem.MALFORMED, e.problem(), bad);
        }
    }

    @Test
    void announcesMeshSecretIdsInItsOwnOrderAndRoundTrips() throws Exception {
        CryptunRecord plain = CryptunRecord.parse(C_TEXT);
        assertEquals(List.of(), plain.pskIds(), "no psk field: the node holds no mesh secret");
        CryptunRecord two = plain.withPskIds(List.of("b2366f45", "1f8e543a"));
        String text = C_TEXT.replace("\n", " psk=b2366f45,1f8e543a\n");
        assertEquals(text, two.format(), "current first, as the node holds them");
        assertEquals(two, CryptunRecord.parse(text));
        assertEquals(List.of("b2366f45", "1f8e543a"), CryptunRecord.parse(text).pskIds());
        assertNotEquals(plain, two);
        assertNotEquals(two, plain.withPskIds(List.of("1f8e543a", "b2366f45")), "order is part of the content");
        assertEquals(plain, two.withPskIds(List.of()));
        // a reader that knows nothing of psk= (ignoring unknown fields) still reads the rest
        assertEquals(plain.publicKey().length, CryptunRecord.parse(text).publicKey().length);
        assertTrue(two.toString().contains("psk=[b2366f45, 1f8e543a]"));
    }

    @Test
    void meshSecretIdsAreStrict() {
        for (String bad : List.of(" psk=", " psk=1F8E543A", " psk=1f8e543", " psk=1f8e543a0", " psk=1f8e543a,",
                " psk=,1f8e543a", " psk=1f8e543a,1f8e543a", " psk=1f8e543a psk=b2366f45",
                " psk=00000001,00000002,00000003,00000004,00000005", " psk=1f8e543g")) {
            RecordFormatException e = assertThrows(RecordFormatException.class,
                    () -> CryptunRecord.parse(C_TEXT.replace("\n", bad + "\n")), bad);
            assertEquals(RecordFormatException.Problem.MALFORMED, e.problem(), bad);
        }
        byte[] key = new byte[32];
        key[0] = 1;
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(key, 1, List.of(), List.of("XYZ")));
        assertThrows(IllegalArgumentException.class,
                () -> CryptunRecord.of(key, 1, List.of(), List.of("00000001", "00000001")));
        assertEquals(4, CryptunRecord.of(key, 1, List.of(), List.of("00000001", "00000002", "00000003", "00000004"))
                .pskIds().size());
    }

    @Test
    void knownFieldsAreStrict() {
        String key = "key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk=";
        List<String> bad = List.of(
                "key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= v=1 port=51820\n",    // v not first
                "v=01 " + key + " port=51820\n",
                "v=1 port=51820\n",                                                      // no key
                "v=1 " + key + "\n",                                                     // no port
                "v=1 " + key + " " + key + " port=1\n",
                "v=1 " + key + " port=1 port=2\n",
                "v=1 " + key + " port=0\n",
                "v=1 " + key + " port=65536\n",
                "v=1 " + key + " port=+80\n",
                "v=1 " + key + " port=080\n",
                "v=1 key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= port=1\n",          // zero key
                "v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqX= port=1\n",            // short key
                "v=1 " + key + " port=1 tun4=10.0.0.1\n",                                // no length
                "v=1 " + key + " port=1 tun4=10.0.0.1/24\n",                             // host bits
                "v=1 " + key + " port=1 tun4=10.0.0.0/033\n",
                "v=1 " + key + " port=1 tun4=2001:db8::/64\n",                           // wrong family
                "v=1 " + key + " port=1 tun6=10.0.0.0/8\n",
                "v=1 " + key + " port=1 tun6=::ffff:10.0.0.1/128\n",
                "v=1 " + key + " port=1 tun4=10.0.0.0/8 tun4=10.0.0.0/8\n",              // duplicate
                "v=1 " + key + " port=1 tun4=300.0.0.0/8\n",
                "v=1 " + key + "  port=1\n",                                             // double space
                " v=1 " + key + " port=1\n",
                "v=1 " + key + " port=1 \n",
                "v=1 " + key + " port=1\tx=1\n",
                "v=1 " + key + " port=1\r\n",
                "v=1 " + key + " port=1\nv=1 " + key + " port=1\n");                      // two lines
        for (String text : bad) {
            RecordFormatException e = assertThrows(RecordFormatException.class, () -> CryptunRecord.parse(text), text);
            assertEquals(RecordFormatException.Problem.MALFORMED, e.problem(), text);
            assertTrue(e.isFinal());
        }
    }

    @Test
    void otherVersionsAreRecognisedAsUnsupported() {
        RecordFormatException e = assertThrows(RecordFormatException.class,
                () -> CryptunRecord.parse("v=2 whatever=1\n"));
        assertEquals(RecordFormatException.Problem.UNSUPPORTED_VERSION, e.problem());
    }

    @Test
    void emptyOrUnterminatedContentIsIncompleteNotFinal() {
        for (String partial : List.of("", "v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=51820 tun4=10.254.3.1/3",
                C_TEXT.substring(0, C_TEXT.length() - 1))) {
            RecordFormatException e = assertThrows(RecordFormatException.class, () -> CryptunRecord.parse(partial));
            assertEquals(RecordFormatException.Problem.INCOMPLETE, e.problem(), partial);
            assertFalse(e.isFinal());
        }
    }

    @Test
    void recordsAreBoundedBelowOneKibibyte() throws Exception {
        String base = C_TEXT.substring(0, C_TEXT.length() - 1) + " x=";
        String atLimit = base + "y".repeat(CryptunRecord.MAX_BYTES - base.length() - 1) + "\n";
        assertEquals(CryptunRecord.MAX_BYTES, atLimit.length());
        assertEquals(CryptunRecord.parse(C_TEXT), CryptunRecord.parse(atLimit));
        String over = base + "y".repeat(CryptunRecord.MAX_BYTES - base.length()) + "\n";
        RecordFormatException e = assertThrows(RecordFormatException.class, () -> CryptunRecord.parse(over));
        assertEquals(RecordFormatException.Problem.OVERSIZED, e.problem());
        assertTrue(e.isFinal(), "a partial write is never larger than the whole");
        assertTrue(CryptunRecord.MAX_BYTES < 1024);
    }

    @Test
    void holdsSeveralSourcesPerFamilySortedAndCapped() throws Exception {
        byte[] key = Keys.fromBase64("fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk=");
        CryptunRecord r = CryptunRecord.of(key, 51820, List.of(IpPrefix.parse("2001:db8:9::/64"),
                IpPrefix.parse("10.254.3.2/32"), IpPrefix.parse("10.254.3.1/32"), IpPrefix.parse("2001:db8:3::1/128")));
        assertEquals("v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=51820 tun4=10.254.3.1/32 "
                + "tun4=10.254.3.2/32 tun6=2001:db8:3::1/128 tun6=2001:db8:9::/64\n", r.format());
        assertEquals(r, CryptunRecord.parse(r.format()));
        assertEquals(4, r.tunnelSources().size());
        assertTrue(r.hasSourceOfFamily(true) && r.hasSourceOfFamily(false));
        String reordered = "v=1 port=51820 tun6=2001:db8:9::/64 tun4=10.254.3.2/32 "
                + "key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= tun4=10.254.3.1/32 tun6=2001:db8:3::1/128\n";
        assertEquals(r, CryptunRecord.parse(reordered), "field order does not matter");

        List<IpPrefix> many = new ArrayList<>();
        for (int i = 0; i <= CryptunRecord.MAX_TUN_ENTRIES; i++) {
            many.add(IpPrefix.parse("10.0." + i + ".1/32"));
        }
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(key, 1, many));
        StringBuilder text = new StringBuilder("v=1 key=fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk= port=1");
        many.forEach(p -> text.append(" tun4=").append(p));
        assertThrows(RecordFormatException.class, () -> CryptunRecord.parse(text + "\n"));
    }

    @Test
    void constructionRejectsWhatParsingRejects() {
        byte[] key = new byte[32];
        key[0] = 1;
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(new byte[32], 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(new byte[31], 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(key, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> CryptunRecord.of(key, 65536, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> CryptunRecord.of(key, 1, List.of(IpPrefix.parse("::ffff:10.0.0.1/128"))));
        CryptunRecord r = CryptunRecord.of(key, 1, List.of());
        byte[] copy = r.publicKey();
        copy[0] = 9;
        assertTrue(r.hasPublicKey(key), "publicKey() is a copy");
        assertNotEquals(r, CryptunRecord.of(key, 2, List.of()));
        assertEquals("v=1 key=" + Keys.toBase64(key) + " port=1\n", new String(r.toBytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void toStringShowsNoFullKey() throws Exception {
        CryptunRecord r = CryptunRecord.parse(C_TEXT);
        assertFalse(r.toString().contains("fINURjjn4Vk161A9HtSKZ1SS4df5eXVwzwPToG6uqXk="));
    }
}
