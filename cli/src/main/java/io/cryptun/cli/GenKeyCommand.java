package io.cryptun.cli;

import io.cryptun.noise.crypto.Keys;
import io.cryptun.noise.crypto.X25519Keys;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cryptun genkey}: a new private key in base64, as {@code wg genkey} prints it. */
@Command(name = "genkey", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Print a new private key (base64), like wg genkey.")
public final class GenKeyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        KeyOutput.warnIfStdoutWorldAccessible();
        byte[] key = X25519Keys.generatePrivate(new SecureRandom());
        System.out.println(Keys.toBase64(key));
        Keys.zero(key);
        return 0;
    }
}
