package io.cryptun.noise.device;

/**
 * A peer's five timers (whitepaper section 6; the kernel's timers.c, as wireguard-go ports it),
 * kept as deadlines on the monotonic clock. Arming or cancelling is a field write; only a deadline
 * that moves earlier than the one queued touches the device's {@link TimerQueue}. Fast paths read
 * the volatile deadlines without the peer lock and take it only to change state.
 */
final class PeerTimers {
    static final long NEVER = TimerQueue.NEVER;

    private final Peer peer;
    volatile long retransmitHandshakeAt = NEVER;
    volatile long sendKeepaliveAt = NEVER;
    volatile long newHandshakeAt = NEVER;
    volatile long zeroKeyMaterialAt = NEVER;
    volatile long persistentKeepaliveAt = NEVER;
    /** A handshake the configuration asked for ({@link Peer#initiateHandshake}). */
    volatile long handshakeWantedAt = NEVER;
    volatile boolean needAnotherKeepalive;
    int handshakeAttempts;
    volatile boolean sentLastMinuteHandshake;

    PeerTimers(Peer peer) {
        this.peer = peer;
    }

    private void arm(long at) {
        peer.device.timerQueue.schedule(peer, at);
    }

    private long jitter() {
        return peer.device.jitter.nextJitterNanos();
    }

    // ---------------------------------------------------------------- events from the packet paths

    /** After an authenticated data packet was sent: expect to hear back within 15 s (+ jitter). */
    void dataSent(long now) {
        if (newHandshakeAt == NEVER) {
            synchronized (peer) {
                if (newHandshakeAt == NEVER) {
                    long at = now + Protocol.KEEPALIVE_TIMEOUT + Protocol.REKEY_TIMEOUT + jitter();
                    newHandshakeAt = at;
                    arm(at);
                }
            }
        }
    }

    /** After an authenticated data packet was received: answer with a keepalive within 10 s unless we send. */
    void dataReceived(long now) {
        if (sendKeepaliveAt == NEVER) {
            synchronized (peer) {
                if (sendKeepaliveAt == NEVER) {
                    long at = now + Protocol.KEEPALIVE_TIMEOUT;
                    sendKeepaliveAt = at;
                    arm(at);
                    return;
                }
            }
        }
        if (!needAnotherKeepalive) {
            needAnotherKeepalive = true;
        }
    }

    /** After any authenticated packet (keepalive, data, handshake) was sent. */
    void anyAuthenticatedPacketSent() {
        if (sendKeepaliveAt != NEVER) {
            sendKeepaliveAt = NEVER;
        }
    }

    /** After any authenticated packet was received. */
    void anyAuthenticatedPacketReceived() {
        if (newHandshakeAt != NEVER) {
            newHandshakeAt = NEVER;
        }
    }

    /** Before an authenticated packet is sent or after one is received: push the persistent keepalive back. */
    void anyAuthenticatedPacketTraversal(long now) {
        int interval = peer.persistentKeepaliveSeconds();
        if (interval > 0) {
            long at = now + interval * 1_000_000_000L;
            persistentKeepaliveAt = at;
            arm(at);
        }
    }

    /** After an initiation was sent: retransmit in 5 s plus jitter unless answered. */
    void handshakeInitiated(long now) {
        long at = now + Protocol.REKEY_TIMEOUT + jitter();
        retransmitHandshakeAt = at;
        arm(at);
    }

    /** A retransmission that could not go yet goes at {@code at} (plus jitter) instead. */
    void rearmRetransmit(long at) {
        long when = at + jitter();
        retransmitHandshakeAt = when;
        arm(when);
    }

    /** After a response was consumed, or key confirmation by the first data packet. */
    void handshakeComplete(long unixNanos) {
        synchronized (peer) {
            retransmitHandshakeAt = NEVER;
            handshakeAttempts = 0;
            sentLastMinuteHandshake = false;
            peer.handshake.cookieRetrySent = false;
        }
        peer.lastHandshakeUnixNanos = unixNanos;
        peer.handshakeSucceeded();
    }

    /** After a session's keys were derived: zero everything if no newer session comes within 540 s. */
    void sessionDerived(long now) {
        long at = now + Protocol.ZERO_KEYS_AFTER;
        zeroKeyMaterialAt = at;
        arm(at);
    }

    void armPersistentKeepaliveNow(long now) {
        persistentKeepaliveAt = now;
        arm(now);
    }

    void handshakeWanted(long now) {
        handshakeWantedAt = now;
        arm(now);
    }

    /** Cancels everything, e.g. when the peer is removed. */
    void stop() {
        retransmitHandshakeAt = NEVER;
        sendKeepaliveAt = NEVER;
        newHandshakeAt = NEVER;
        zeroKeyMaterialAt = NEVER;
        persistentKeepaliveAt = NEVER;
        handshakeWantedAt = NEVER;
    }

    // ---------------------------------------------------------------- expiry

    /** Runs whichever timers are due at {@code now}, then queues the next deadline. */
    void runExpired(Worker w, PacketSink out, long now) {
        if (peer.removed || !peer.device.isUp()) {
            return;
        }
        if (retransmitHandshakeAt <= now) {
            retransmitHandshakeAt = NEVER;
            expiredRetransmitHandshake(w, out, now);
        }
        if (sendKeepaliveAt <= now) {
            sendKeepaliveAt = NEVER;
            peer.device.outbound.sendKeepalive(peer, w, out, now);
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                long at = now + Protocol.KEEPALIVE_TIMEOUT;
                sendKeepaliveAt = at;
            }
        }
        if (newHandshakeAt <= now) {
            newHandshakeAt = NEVER;
            peer.device.log(EventLog.Level.VERBOSE, peer, "retrying handshake because we stopped hearing back after 15 seconds");
            peer.device.outbound.sendHandshakeInitiation(peer, false, w, out, now);
        }
        if (zeroKeyMaterialAt <= now) {
            zeroKeyMaterialAt = NEVER;
            peer.device.log(EventLog.Level.VERBOSE, peer, "removing all keys, since we haven't received a new one in 540 seconds");
            peer.zeroAndFlushAll();
            peer.device.stats.event(Stats.Event.KEYS_ZEROED);
        }
        if (persistentKeepaliveAt <= now) {
            persistentKeepaliveAt = NEVER;
            if (peer.persistentKeepaliveSeconds() > 0) {
                peer.device.outbound.sendKeepalive(peer, w, out, now);
            }
        }
        if (handshakeWantedAt <= now) {
            handshakeWantedAt = NEVER;
            synchronized (peer) {
                // a fresh start: an earlier handshake that gave up must not make this one give up at once
                handshakeAttempts = 0;
            }
            peer.device.log(EventLog.Level.VERBOSE, peer, "starting a handshake the configuration asked for");
            // as a retry: less than REKEY_TIMEOUT after another handshake message it is re-armed, not lost
            peer.device.outbound.sendHandshakeInitiation(peer, true, w, out, now);
        }
        long nextAt = Math.min(Math.min(Math.min(retransmitHandshakeAt, sendKeepaliveAt), handshakeWantedAt),
                Math.min(Math.min(newHandshakeAt, zeroKeyMaterialAt), persistentKeepaliveAt));
        if (nextAt != NEVER) {
            arm(nextAt);
        }
    }

    private void expiredRetransmitHandshake(Worker w, PacketSink out, long now) {
        boolean giveUp;
        synchronized (peer) {
            giveUp = handshakeAttempts > Protocol.MAX_TIMER_HANDSHAKES;
            if (!giveUp) {
                handshakeAttempts++;
            }
        }
        if (giveUp) {
            peer.device.log(EventLog.Level.VERBOSE, peer, "handshake did not complete after "
                    + (Protocol.MAX_TIMER_HANDSHAKES + 2) + " attempts, giving up");
            sendKeepaliveAt = NEVER;
            peer.handshakeFailed("no answer to " + (Protocol.MAX_TIMER_HANDSHAKES + 2) + " initiations",
                    peer.device.clock.unixNanos());
            // packets that waited for this handshake are dropped; try again only when new traffic comes
            peer.flushStaged(DropReason.HANDSHAKE_TIMEOUT);
            if (zeroKeyMaterialAt == NEVER) {
                zeroKeyMaterialAt = now + Protocol.ZERO_KEYS_AFTER;
            }
        } else {
            peer.device.log(EventLog.Level.VERBOSE, peer, "handshake did not complete after 5 seconds, retrying (try "
                    + (handshakeAttempts + 1) + ")");
            peer.device.outbound.sendHandshakeInitiation(peer, true, w, out, now);
        }
    }

    /** The earliest pending deadline (for tests). */
    long nextDeadline() {
        return Math.min(Math.min(Math.min(retransmitHandshakeAt, sendKeepaliveAt), handshakeWantedAt),
                Math.min(Math.min(newHandshakeAt, zeroKeyMaterialAt), persistentKeepaliveAt));
    }
}
