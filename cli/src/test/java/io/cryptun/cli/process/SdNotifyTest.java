package io.cryptun.cli.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify datagrams reach a receiver bound as systemd binds it, on a file path or an abstract name. */
class SdNotifyTest {

    @Test
    void aMessageReachesASocketFile(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        try (NotifyReceiver r = new NotifyReceiver(path)) {
            SdNotify.send(path, "READY=1\nSTATUS=up\n");
            assertEquals(Optional.of("READY=1\nSTATUS=up\n"), r.receive(5000));
        }
    }

    @Test
    void aMessageReachesAnAbstractSocket() {
        String name = "@cryptun-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (NotifyReceiver r = new NotifyReceiver(name)) {
            SdNotify.send(name, "STOPPING=1\n");
            assertEquals(Optional.of("STOPPING=1\n"), r.receive(5000));
        }
    }

    @Test
    void noSocketOrAnUnusableOneIsNotAnError(@TempDir Path dir) {
        SdNotify.send(null, "READY=1\n");
        SdNotify.send("", "READY=1\n");
        SdNotify.send("vsock:2:1234", "READY=1\n");
        SdNotify.send(dir.resolve("nobody-listens").toString(), "READY=1\n");
        assertTrue(Files.notExists(dir.resolve("nobody-listens")));
    }
}
