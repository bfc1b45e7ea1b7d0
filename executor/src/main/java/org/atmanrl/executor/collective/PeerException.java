package org.atmanrl.executor.collective;

import java.io.IOException;

/**
 * A transport fault blamed on one peer: it refused or failed the handshake, closed its connection,
 * sent a frame that was not expected, or fell silent. The message names this rank and the peer
 * (its rank and address); it never holds key material (docs/design.md 3.5).
 */
public class PeerException extends IOException {
    private final int peer;

    public PeerException(int peer, String message) {
        super(message);
        this.peer = peer;
    }

    public PeerException(int peer, String message, Throwable cause) {
        super(message, cause);
        this.peer = peer;
    }

    /** The peer's rank, or −1 when it never told one (a connection refused before its hello). */
    public int peer() {
        return peer;
    }
}
