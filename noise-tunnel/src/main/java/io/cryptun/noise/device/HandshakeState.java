package io.cryptun.noise.device;

/** Where a peer's handshake stands (wireguard-go's handshakeState). */
enum HandshakeState {
    ZEROED,
    INITIATION_CREATED,
    INITIATION_CONSUMED,
    RESPONSE_CREATED,
    RESPONSE_CONSUMED
}
