package io.cryptun.cli;

import io.cryptun.noise.crypto.Keys;

/** Fixed, valid keys for command-line tests that never run a tunnel (base64, as configs hold them). */
final class FixedKeys {
    static final String PRIV = Keys.toBase64(new byte[] {
        8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 64});
    static final String PUB = Keys.toBase64(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});

    private FixedKeys() {
    }
}
