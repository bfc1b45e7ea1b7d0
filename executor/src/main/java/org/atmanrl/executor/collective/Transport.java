package org.atmanrl.executor.collective;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Point-to-point byte frames between the P ranks of one run (docs/design.md 3.5): what the
 * collectives need and nothing more. Every call is bounded in time (a peer that sends nothing for
 * the transport's I/O timeout is a {@link PeerTimeoutException} naming it) and in size (a frame's
 * length must equal what the receiver expects before anything is allocated for it). One thread
 * drives a transport at a time. After any failure the transport is closed: a frame stream broken
 * mid-way cannot be trusted again, and closing at once lets the other ranks fail fast instead of
 * waiting for their own timeouts.
 */
public interface Transport extends AutoCloseable {
    /** This rank, 0 to {@link #size()} − 1. */
    int rank();

    /** The number of ranks, P. */
    int size();

    /** Sends {@code src}'s remaining bytes as one frame to {@code peer}; blocks until they are written. */
    void send(int peer, ByteBuffer src) throws IOException;

    /**
     * Receives one frame from {@code peer} into {@code dst}: the frame must hold exactly
     * {@code dst.remaining()} bytes, or it is refused before its payload is read.
     */
    void receive(int peer, ByteBuffer dst) throws IOException;

    /**
     * Sends one frame to {@code to} and receives one from {@code from} at the same time, so that
     * ranks sending to each other never wait on each other's full socket buffers. Either side may
     * be null (nothing to send, or nothing to receive); {@code to} and {@code from} may be equal.
     */
    void exchange(int to, ByteBuffer src, int from, ByteBuffer dst) throws IOException;

    /** Frame bytes (headers and payloads) written since the connections were made; the handshake not counted. */
    long bytesSent();

    /** Frame bytes (headers and payloads) read since the connections were made; the handshake not counted. */
    long bytesReceived();

    /** Frames whose payload was read (a refused header is not one). */
    long framesReceived();

    /** Sockets this transport holds open (listening ones included); 0 once closed. */
    int openSockets();

    /** Closes every socket; idempotent, never throws. */
    @Override
    void close();
}
