package io.cryptun.routing.reactor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The json plugin's files where bmx7 writes them, the control socket otherwise; decided at every
 * reading, so loading or unloading the plugin (a bmx7 restart) is followed.
 */
final class AutoFeed implements Bmx7Feed {
    private final Path statusFile;
    private final Bmx7Feed json;
    private final Bmx7Feed socket;
    private volatile Bmx7Feed current;

    AutoFeed(Path jsonDir, Bmx7Feed json, Bmx7Feed socket) {
        this.statusFile = jsonDir.resolve("status");
        this.json = json;
        this.socket = socket;
        this.current = json;
    }

    @Override
    public Bmx7Reading read() throws IOException {
        Bmx7Feed f = Files.exists(statusFile) ? json : socket;
        current = f;
        return f.read();
    }

    @Override
    public long pollMillis() {
        return current.pollMillis();
    }

    @Override
    public String name() {
        return current.name();
    }
}
