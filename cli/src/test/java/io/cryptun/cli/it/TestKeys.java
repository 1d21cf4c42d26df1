package io.cryptun.cli.it;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.security.SecureRandom;

/** A key pair for a test endpoint, in the base64 form configs and wg use. */
public record TestKeys(String privateKey, String publicKey) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static TestKeys generate() {
        byte[] priv = X25519Keys.generatePrivate(RANDOM);
        return new TestKeys(Keys.toBase64(priv), Keys.toBase64(X25519Keys.publicFromPrivate(priv)));
    }

    public static String psk() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return Keys.toBase64(k);
    }
}
