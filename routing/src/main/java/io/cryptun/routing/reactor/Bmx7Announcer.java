package io.cryptun.routing.reactor;

import io.cryptun.noise.device.EventLog;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.TunnelSearch;
import io.cryptun.routing.bmx7.Bmx7ControlClient;
import io.cryptun.routing.bmx7.Bmx7ControlException;
import io.cryptun.routing.bmx7.Bmx7Options;
import io.cryptun.routing.mesh.OfferedNetwork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What this node asks bmx7 to hold, and the check that bmx7 still holds it: the record file in
 * {@code sms/sendSms} with {@code syncSms} (so bmx7 carries it in the node's description), the
 * offered networks ({@code tunIn}) and the searches handed to bmx7's plain tunnels ({@code tunOut}).
 *
 * <p>bmx7 forgets options set through its socket when it restarts. A restart is seen two ways:
 * the control socket is a new file, or (since bmx7 re-creates its socket at once on start and the
 * new one often gets the old inode, so the file looks unchanged) bmx7's configuration, read at
 * every scan, no longer lists what was set. Either way everything is given again, and the caller
 * puts its routes back in case bmx7 flushed a table it shares.
 *
 * <p>Sans-IO in its timing: the caller passes a monotonic clock. A setting bmx7 accepted counts as
 * lost only when a configuration read {@link #CONFIRM_AFTER_MILLIS} after the request still lacks
 * it, so a configuration file not yet rewritten is not taken for a restart.
 */
final class Bmx7Announcer {
    static final long CONFIRM_AFTER_MILLIS = 3000;

    private final MeshConfig config;
    private final Bmx7ControlClient control;
    private final EventLog log;
    private final RepeatFilter once;
    private final RecordPublisher publisher;
    /** When syncSms was accepted; null when bmx7 is not (known to be) publishing the record. */
    private Long smsSyncedAt;
    private final Map<String, Long> offersAt = new TreeMap<>();
    private final Map<String, TunnelSearch> handoffs = new TreeMap<>();
    private final Map<String, Long> handoffsAt = new TreeMap<>();
    private boolean staleRecordChecked;
    private Object socketIdentity;
    private boolean bmx7Seen;
    private boolean retryWanted;
    private boolean restartSeen;
    /** When bmx7's configuration should be looked at again to confirm what it was given; MAX_VALUE: not needed. */
    private long confirmAt = Long.MAX_VALUE;

    Bmx7Announcer(MeshConfig config, Bmx7ControlClient control, EventLog log, RepeatFilter once) {
        this.config = config;
        this.control = control;
        this.log = log;
        this.once = once;
        this.publisher = new RecordPublisher(config.sendSmsDir(), config.smsName());
    }

    /** True when a bmx7 restart was seen since the last call. */
    boolean takeRestartSeen() {
        boolean r = restartSeen;
        restartSeen = false;
        return r;
    }

    /** True when a step failed since the last call and should be retried soon. */
    boolean takeRetryWanted() {
        boolean r = retryWanted;
        retryWanted = false;
        return r;
    }

    /**
     * When (same clock as the scans) bmx7's configuration should be read again: what it was given
     * lately is confirmed once it had time to show it, so a restart right after is not missed
     * between two periodic readings. {@link Long#MAX_VALUE} when nothing waits.
     */
    long confirmAtMillis() {
        return confirmAt;
    }

    private void confirmLater(long given) {
        confirmAt = Math.min(confirmAt, given + CONFIRM_AFTER_MILLIS);
    }

    /** The searches handed to bmx7 now, by name. */
    Map<String, TunnelSearch> handoffs() {
        return Collections.unmodifiableMap(new TreeMap<>(handoffs));
    }

    /**
     * Looks at bmx7's control socket file: a new one (another inode or another time: bmx7 binds it
     * anew when it starts), or one that came back, means bmx7 restarted.
     *
     * @return true when everything must be given to bmx7 again
     */
    boolean followSocket() {
        Object id;
        try {
            // the inode alone is not enough: a socket bound anew on ext4 often gets the old one; its
            // time tells the new file from the old
            BasicFileAttributes a = Files.readAttributes(config.socketPath(), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            id = java.util.Arrays.asList(a.fileKey(), a.lastModifiedTime(), a.creationTime());
        } catch (IOException e) {
            id = null;
        }
        if (Objects.equals(id, socketIdentity)) {
            return false;
        }
        if (id == null) {
            log.log(EventLog.Level.INFO, "bmx7's control socket " + config.socketPath() + " is gone");
        } else if (bmx7Seen) {
            log.log(EventLog.Level.INFO, "bmx7's control socket " + config.socketPath()
                    + " is new (bmx7 restarted): announcing again");
            restartSeen = true;
        }
        bmx7Seen |= id != null;
        socketIdentity = id;
        forgetAll();
        return id != null;
    }

    /**
     * Checks bmx7's configuration for everything it accepted earlier; what it no longer lists is
     * given again by the next {@link #publishRecord}, {@link #announceOffers} and {@link #applyHandoffs}.
     *
     * @param parameters bmx7's configuration as read now, or null when it could not be read
     * @return true when something was lost (bmx7 restarted, or someone removed it)
     */
    boolean confirm(Bmx7Options parameters, long now) {
        if (parameters == null) {
            return false;
        }
        confirmAt = Long.MAX_VALUE;
        boolean lost = false;
        if (smsSyncedAt != null && missing(smsSyncedAt, now, parameters.has("syncSms", config.smsName()))) {
            lost("syncSms=" + config.smsName());
            smsSyncedAt = null;
            lost = true;
            // nobody but a restart takes the record's syncSms away while cryptun runs
            restartSeen = true;
        }
        for (Map.Entry<String, Long> e : new ArrayList<>(offersAt.entrySet())) {
            if (missing(e.getValue(), now, parameters.has("tunIn", e.getKey()))) {
                lost("tunIn=" + e.getKey());
                offersAt.remove(e.getKey());
                lost = true;
            }
        }
        for (Map.Entry<String, Long> e : new ArrayList<>(handoffsAt.entrySet())) {
            if (missing(e.getValue(), now, parameters.has("tunOut", e.getKey()))) {
                lost("tunOut=" + e.getKey());
                handoffs.remove(e.getKey());
                handoffsAt.remove(e.getKey());
                lost = true;
            }
        }
        return lost;
    }

    /**
     * True when a setting given at {@code given} is missing from bmx7's configuration although it
     * had time to show it; one given lately is looked at again once it had.
     */
    private boolean missing(long given, long now, boolean held) {
        if (held) {
            return false;
        }
        if (now - given >= CONFIRM_AFTER_MILLIS) {
            return true;
        }
        confirmLater(given);
        return false;
    }

    private void lost(String setting) {
        log.log(EventLog.Level.INFO, "bmx7 no longer holds " + setting + " (bmx7 restarted, or it was removed): giving it again");
    }

    private void forgetAll() {
        smsSyncedAt = null;
        offersAt.clear();
        handoffs.clear();
        handoffsAt.clear();
    }

    /** Makes sure the record file holds {@code content} and bmx7 publishes it (in off mode: that no record is left). */
    void publishRecord(byte[] content, String shown, long now) {
        if (config.mode() == CryptMode.OFF) {
            retractStaleRecord();
            return;
        }
        try {
            if (publisher.publish(content)) {
                log.log(EventLog.Level.INFO, "published this node's record in " + publisher.file() + ": " + shown);
            }
            once.clear("publish");
        } catch (NoSuchFileException e) {
            once.log("publish", EventLog.Level.INFO, "waiting for bmx7's sms plugin to create " + config.sendSmsDir());
            retryWanted = true;
            return;
        } catch (IOException e) {
            once.log("publish", EventLog.Level.ERROR, "cannot write " + publisher.file() + ": " + e.getMessage());
            retryWanted = true;
            return;
        }
        if (smsSyncedAt == null && step("syncSms", "asking bmx7 to publish sms " + config.smsName(),
                () -> control.syncSms(config.smsName()))) {
            smsSyncedAt = now;
            confirmLater(now);
        }
    }

    /** In off mode this node announces no key: a record left by an earlier run would mislead the mesh. */
    private void retractStaleRecord() {
        if (staleRecordChecked) {
            return;
        }
        try {
            if (publisher.retract()) {
                log.log(EventLog.Level.INFO, "crypt-tun is off: removed " + publisher.file() + " left by an earlier run");
                quietly(() -> control.removeSyncSms(config.smsName()));
            }
            staleRecordChecked = true;
        } catch (IOException e) {
            once.log("retract", EventLog.Level.ERROR, "cannot remove " + publisher.file() + ": " + e.getMessage());
            retryWanted = true;
        }
    }

    void announceOffers(long now) {
        for (OfferedNetwork o : config.offers()) {
            if (!offersAt.containsKey(o.name()) && step("tunIn " + o.name(),
                    "announcing " + o.network() + " as tunIn=" + o.name(),
                    () -> control.tunIn(o.name(), o.network(), o.bandwidth()))) {
                offersAt.put(o.name(), now);
                confirmLater(now);
                log.log(EventLog.Level.INFO, "offering " + o.network() + " to the mesh (bmx7 tunIn=" + o.name()
                        + " /bandwidth=" + o.bandwidth() + ")");
            }
        }
    }

    /** Withdraws hand-offs no longer wanted (or changed), then hands over the new ones. */
    void applyHandoffs(Map<String, TunnelSearch> want, long now) {
        for (Map.Entry<String, TunnelSearch> e : new ArrayList<>(handoffs.entrySet())) {
            if (!e.getValue().equals(want.get(e.getKey()))
                    && step("tunOut " + e.getKey(), "withdrawing tunOut=" + e.getKey(), () -> removeTunOut(e.getKey()))) {
                handoffs.remove(e.getKey());
                handoffsAt.remove(e.getKey());
                log.log(EventLog.Level.INFO, "bmx7 no longer searches tunOut=" + e.getKey() + " for cryptun");
            }
        }
        for (Map.Entry<String, TunnelSearch> e : want.entrySet()) {
            TunnelSearch s = e.getValue();
            if (!handoffs.containsKey(e.getKey())
                    && step("tunOut " + e.getKey(), "handing " + s.toBmx7Option() + " to bmx7", () -> control.tunOut(s))) {
                handoffs.put(e.getKey(), s);
                handoffsAt.put(e.getKey(), now);
                confirmLater(now);
                log.log(EventLog.Level.INFO, "handed to bmx7's plain tunnels: " + s.toBmx7Option());
            }
        }
    }

    /** A removal bmx7 refuses (it does not have that search) has still reached its goal. */
    private void removeTunOut(String name) throws IOException {
        try {
            control.removeTunOut(name);
        } catch (Bmx7ControlException e) {
            log.log(EventLog.Level.VERBOSE, "bmx7 had no tunOut=" + name + ": " + e.getMessage());
        }
    }

    /**
     * Withdraws the record first (so the other nodes stop sending to this one), then the offers
     * and the hand-offs. Failures are logged and do not stop the rest.
     */
    void close() {
        if (config.mode() != CryptMode.OFF) {
            try {
                if (publisher.retract()) {
                    log.log(EventLog.Level.INFO, "withdrew this node's record (" + publisher.file() + ")");
                }
            } catch (IOException e) {
                log.log(EventLog.Level.ERROR, "cannot remove " + publisher.file() + ": " + e.getMessage());
            }
            if (smsSyncedAt != null) {
                quietly(() -> control.removeSyncSms(config.smsName()));
            }
        }
        for (String name : offersAt.keySet()) {
            quietly(() -> control.removeTunIn(name));
        }
        for (String name : handoffs.keySet()) {
            quietly(() -> control.removeTunOut(name));
        }
        forgetAll();
    }

    @FunctionalInterface
    interface Step {
        void run() throws IOException;
    }

    /** One request to bmx7; a failure is logged once (per topic and message) and retried at the next scan. */
    private boolean step(String topic, String what, Step s) {
        try {
            s.run();
            once.clear("bmx7 " + topic);
            return true;
        } catch (IOException | RuntimeException e) {
            once.log("bmx7 " + topic, EventLog.Level.ERROR, what + " failed: " + e.getMessage());
            retryWanted = true;
            return false;
        }
    }

    private void quietly(Step s) {
        try {
            s.run();
        } catch (IOException | RuntimeException e) {
            log.log(EventLog.Level.VERBOSE, "bmx7: " + e.getMessage());
        }
    }
}
