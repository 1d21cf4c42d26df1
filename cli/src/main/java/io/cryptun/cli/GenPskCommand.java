package io.cryptun.cli;

import io.cryptun.noise.crypto.Keys;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cryptun genpsk}: 32 random bytes in base64, as {@code wg genpsk} prints them. */
@Command(name = "genpsk", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Print a new pre-shared key (base64), like wg genpsk.")
public final class GenPskCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        KeyOutput.warnIfStdoutWorldAccessible();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        System.out.println(Keys.toBase64(key));
        Keys.zero(key);
        return 0;
    }
}
