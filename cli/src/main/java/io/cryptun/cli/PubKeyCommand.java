package io.cryptun.cli;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code cryptun pubkey}: reads a private key (base64) on stdin and prints its public key, with
 * {@code wg pubkey}'s rules: exactly 44 characters, then only whitespace.
 */
@Command(name = "pubkey", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Read a private key on stdin, print its public key, like wg pubkey.")
public final class PubKeyCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        InputStream in = System.in;
        byte[] text = in.readNBytes(44);
        try {
            if (text.length != 44) {
                throw new UserException("pubkey: Key is not the correct length or format");
            }
            int c;
            while ((c = in.read()) != -1) {
                if (!(c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c)) {
                    throw new UserException("pubkey: Trailing characters found after key");
                }
            }
            byte[] priv;
            try {
                priv = Keys.fromBase64(new String(text, StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new UserException("pubkey: Key is not the correct length or format");
            }
            System.out.println(Keys.toBase64(X25519Keys.publicFromPrivate(priv)));
            Keys.zero(priv);
            return 0;
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }
}
