package io.cryptun.cli.config;

import java.util.Base64;

/** Key pairs made with {@code wg genkey | wg pubkey} and {@code wg genpsk}, for tests only. */
final class TestKeys {
    static final String PRIV1 = "SFoi22+by9JaQmdMd3m5T7RRNekt5VPUAdWrE5BiR2U=";
    static final String PUB1 = "38cu1UVY8CgFd+qEc5JsIIrgvFyIOSNb6vdAFdBG80k=";
    static final String PRIV2 = "KCt1ObmlgAZpmXzqpdAb/aVS1mZyIHzpsRezS5nRI2Y=";
    static final String PUB2 = "L/Lv3rvdhRULV0VKt9nYpWA9VyVF9xxB/cHWKjyWUFM=";
    static final String PUB3 = "QneWqWPT+D0nNhdse6XmzxyBP5UzPGhPzgAPQKbICSA=";
    static final String PSK = "T4m3EJdNymXDLl1QgC9uq6B1mA6hff7LBlnZAQrh27s=";

    private TestKeys() {
    }

    static byte[] bytes(String base64) {
        return Base64.getDecoder().decode(base64);
    }

    static String base64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }
}
