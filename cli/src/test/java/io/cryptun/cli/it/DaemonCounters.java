package io.cryptun.cli.it;

import io.cryptun.cli.CommandRunner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * cryptun's drop and event counters for one interface, as `cryptun show IFNAME --json` reports them
 * (read over the interface's UAPI socket, which every namespace sees).
 */
record DaemonCounters(String json) {

    static DaemonCounters of(String ifname) {
        CommandRunner.Result show = CommandRunner.run("", "show", ifname, "--json");
        if (show.exitCode() != 0) {
            throw new AssertionError("cryptun show " + ifname + " --json failed: " + show.stderr());
        }
        return new DaemonCounters(show.stdout());
    }

    /** A drop reason or event counter by its JSON name (e.g. "source_not_allowed"); -1 if absent. */
    long get(String name) {
        Matcher m = Pattern.compile("\"" + name + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
