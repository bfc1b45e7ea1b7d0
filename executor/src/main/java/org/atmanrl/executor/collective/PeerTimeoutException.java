package org.atmanrl.executor.collective;

/** A peer that sent or took nothing for the I/O timeout, or did not connect in time. */
public final class PeerTimeoutException extends PeerException {
    public PeerTimeoutException(int peer, String message) {
        super(peer, message);
    }
}
