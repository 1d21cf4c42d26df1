package io.cryptun.routing.reactor;

import io.cryptun.routing.NodeId;
import io.cryptun.routing.bmx7.Bmx7JsonDirectory;
import io.cryptun.routing.bmx7.RcvdSmsDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the json plugin's tree and the sms plugin's received files. bmx7 rewrites both
 * non-atomically, so a reading may lack a node that is merely being rewritten: it is never
 * authoritative, and the reactor bridges such gaps with a grace period.
 */
final class JsonFeed implements Bmx7Feed {
    /**
     * Descriptions and records are watched; path metrics, status and configuration, which the
     * json plugin rewrites every second, are read this often (and at every scan a change causes).
     */
    static final long POLL_MILLIS = 10_000;

    private final Bmx7JsonDirectory json;
    private final RcvdSmsDirectory sms;

    JsonFeed(Path jsonDir, Path rcvdSmsDir, String smsName) {
        this.json = new Bmx7JsonDirectory(jsonDir);
        this.sms = new RcvdSmsDirectory(rcvdSmsDir, smsName);
    }

    @Override
    public Bmx7Reading read() throws IOException {
        Bmx7JsonDirectory.Snapshot s = json.read();
        Map<NodeId, byte[]> contents = sms.read();
        List<String> problems = new ArrayList<>();
        s.unreadable().forEach((file, why) -> problems.add("json/" + file + ": " + why));
        return new Bmx7Reading(s.self(), s.descriptions(), s.originators(), contents, false, problems, s.parameters());
    }

    @Override
    public long pollMillis() {
        return POLL_MILLIS;
    }

    @Override
    public String name() {
        return "json";
    }
}
