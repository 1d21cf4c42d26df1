package io.cryptun.cli;

import picocli.CommandLine.Option;

/**
 * The options of every command that runs an interface ({@code cryptun IFNAME}, {@code up},
 * {@code mesh}), declared once as a picocli mixin: the cipher backend and the metrics endpoint.
 */
public final class DataPathOptions {
    /** The names {@link Main} looks for before picocli parses (to start the warm-up early). */
    static final String CRYPTO = "--crypto";
    static final String METRICS = "--metrics";
    static final String DEFAULT_CRYPTO = "auto";

    @Option(names = CRYPTO, paramLabel = "BACKEND", defaultValue = DEFAULT_CRYPTO,
            description = "ChaCha20-Poly1305 backend for the data path: auto, jdk, bc, sodium, openssl (default: ${DEFAULT-VALUE})")
    String crypto;

    @Option(names = METRICS, paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics on this loopback address (off by default), e.g. 127.0.0.1:9586")
    String metrics;
}
