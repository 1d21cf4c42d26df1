package io.cryptun.noise.device;

/** Why a packet was dropped: each reason is counted, none is logged per packet. */
public enum DropReason {
    /** the interface is down: nothing is sent or received (as wireguard-go and the kernel do) */
    INTERFACE_DOWN,
    /** outbound: no peer's allowed IPs hold the destination */
    NO_ROUTE,
    /** outbound: the peer has no endpoint yet */
    NO_ENDPOINT,
    /** outbound: not an IPv4/IPv6 packet or too short for its header */
    BAD_OUTBOUND_PACKET,
    /** outbound: more packets waited for a handshake than a peer may hold */
    STAGED_OVERFLOW,
    /** outbound: the handshake did not complete in time, the waiting packets were dropped */
    HANDSHAKE_TIMEOUT,
    /** the socket refused a datagram */
    SEND_FAILED,
    /** inbound: shorter than 4 bytes or an unknown message type (including non-zero reserved bytes) */
    UNKNOWN_TYPE,
    /** inbound: a handshake message of the wrong size, or transport data under 32 bytes */
    BAD_SIZE,
    /** inbound: mac1 did not verify */
    INVALID_MAC1,
    /** inbound: handshake message refused under load for lack of a valid mac2 (a cookie reply was sent) */
    COOKIE_REQUIRED,
    /** inbound: handshake message under load without a valid mac2, from a source (IP and port) over its cookie-reply budget: no reply */
    COOKIE_REPLY_LIMITED,
    /** inbound: per-source handshake rate limit under load */
    RATE_LIMITED,
    /** inbound: the handshake queue was full */
    HANDSHAKE_QUEUE_FULL,
    /** inbound: an initiation or response that does not authenticate or has no matching state */
    INVALID_HANDSHAKE,
    /** inbound: an initiation whose timestamp is not newer than the last accepted one */
    HANDSHAKE_REPLAY,
    /** inbound: an initiation within 20 ms of the last accepted one from that peer */
    HANDSHAKE_FLOOD,
    /** inbound: a cookie reply that does not authenticate or matches nothing */
    INVALID_COOKIE,
    /** inbound: transport data for an index we do not know */
    UNKNOWN_INDEX,
    /** inbound: transport data on a keypair older than REJECT_AFTER_TIME */
    EXPIRED_KEYPAIR,
    /** inbound: transport data that does not authenticate */
    DECRYPT_FAILED,
    /** inbound: counter already seen or too old for the replay window */
    REPLAY,
    /** inbound: decrypted packet is not a well-formed IPv4/IPv6 packet */
    BAD_INNER_PACKET,
    /** inbound: the inner source address is not in the sending peer's allowed IPs */
    SOURCE_NOT_ALLOWED
}
