package org.atmanrl.executor.collective;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The CPU transport of barrier mode (docs/design.md 3.5): one TCP connection per pair of ranks,
 * each authenticated by {@link Handshake} before a single frame may cross it, then frames of a
 * 12-byte header (magic "ATMF", 8-byte length, big-endian) and the payload.
 *
 * <p>Why plain java.nio and not Spark's network module: the executor module does not depend on
 * Spark (only the driver does), and Spark's {@code TransportContext} is a request-response RPC
 * layer on Netty event-loop threads, so ordered point-to-point exchanges would need an adapter of
 * callbacks and queues larger than this class. Its auth engine binds an application id and the
 * secret, not the peer's rank, and is package-private (usable only as the context's bootstraps);
 * its frame decoder buffers any frame up to 2 GiB before a handler learns what size it expected;
 * and it brings thread pools of its own to account for. Here one thread and one {@link Selector}
 * drive every socket (non-blocking), so there is no thread to leak, every read is bounded by the
 * size the receiver expects, and every wait ends at a timeout that names the peer. The handshake
 * uses only the JDK's HMAC-SHA256 and SecureRandom. What Spark's module has and this has not:
 * payloads encrypted after the handshake. Gradients are not secret and the handshake keeps peers
 * of other runs out; a cluster that needs confidentiality on the wire needs an encrypting layer
 * (not built).
 *
 * <p>Setting up: every rank first {@link #listen}s (so its address can be handed out, through
 * {@code BarrierTaskContext} in barrier mode), then {@link Listener#join}s: it connects to every
 * lower rank and accepts every higher one, refusing (and counting) any connection that fails the
 * handshake, until all P − 1 peers are in or the connect timeout has passed.
 */
public final class TcpTransport implements Transport {
    /** The longest a wait goes without checking for an interrupt or a cancellation. */
    public static final long POLL_MILLIS = 200;
    /** The longest one connection attempt may take; attempts repeat until the connect timeout. */
    private static final long CONNECT_ATTEMPT_MILLIS = 5_000;
    /** "ATMF": the first four bytes of every frame header. */
    public static final int FRAME_MAGIC = 0x41544D46;
    /** A frame header: the magic (4 bytes) and the payload's length (8 bytes), big-endian. */
    public static final int HEADER_BYTES = 12;

    /** How long setting up may take in all, and how long any read or write may wait without progress. */
    public record Timeouts(Duration connect, Duration io) {
        public Timeouts {
            if (connect.isNegative() || connect.isZero() || io.isNegative() || io.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive: connect " + connect + ", io " + io);
            }
        }
    }

    /** A bound server socket, the first half of setting up. */
    public static Listener listen(InetAddress host) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(host, 0), 64);
            return new Listener(server);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** A listening socket whose address is handed to the other ranks; {@link #join} consumes it. */
    public static final class Listener implements AutoCloseable {
        private final ServerSocketChannel server;

        private Listener(ServerSocketChannel server) {
            this.server = server;
        }

        public InetSocketAddress address() throws IOException {
            return (InetSocketAddress) server.getLocalAddress();
        }

        /**
         * Connects this rank to all the others. {@code addresses} holds every rank's listener address
         * in rank order (this rank's own included); {@code key} is the run's key (at least 32 bytes,
         * copied; the caller may wipe it). The listener is closed once every peer is in, and on any
         * failure, so it is never left open.
         */
        public TcpTransport join(String runId, int rank, List<InetSocketAddress> addresses, byte[] key,
                Timeouts timeouts) throws IOException {
            return join(runId, rank, addresses, key, timeouts, () -> false);
        }

        /**
         * As {@link #join(String, int, List, byte[], Timeouts)}, and every wait, then and later, also
         * ends within {@link #POLL_MILLIS} once {@code cancelled} says so: Spark marks a task it
         * kills (a failed barrier stage's other ranks) without interrupting its thread, so a rank
         * waiting for a dead peer to connect would otherwise wait out the whole connect timeout.
         */
        public TcpTransport join(String runId, int rank, List<InetSocketAddress> addresses, byte[] key,
                Timeouts timeouts, BooleanSupplier cancelled) throws IOException {
            try {
                return new TcpTransport(server, runId, rank, List.copyOf(addresses), key, timeouts, cancelled);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            closeQuietly(server);
        }
    }

    private static final class Conn {
        final int rank;
        final SocketChannel channel;
        final String address;
        SelectionKey key;

        Conn(int rank, SocketChannel channel, String address) {
            this.rank = rank;
            this.channel = channel;
            this.address = address;
        }

        String name() {
            return (rank < 0 ? "an unidentified peer" : "rank " + rank) + " (" + address + ")";
        }
    }

    private final int rank;
    private final int size;
    private final Handshake handshake;
    private final Timeouts timeouts;
    private final BooleanSupplier cancelled;
    private final long ioNanos;
    private final Selector selector;
    private final Conn[] peers;
    private ServerSocketChannel server; // only while joining
    private volatile boolean closed;
    private long bytesSent, bytesReceived, framesReceived, handshakeBytesSent, handshakeBytesReceived;
    private int refused;

    private TcpTransport(ServerSocketChannel server, String runId, int rank, List<InetSocketAddress> addresses,
            byte[] key, Timeouts timeouts, BooleanSupplier cancelled) throws IOException {
        Objects.requireNonNull(runId, "runId");
        this.cancelled = Objects.requireNonNull(cancelled, "cancelled");
        this.size = addresses.size();
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of " + size + " addresses");
        }
        this.rank = rank;
        this.handshake = new Handshake(key, runId, size);
        this.timeouts = timeouts;
        this.ioNanos = timeouts.io().toNanos();
        this.peers = new Conn[size];
        this.server = server;
        this.selector = Selector.open();
        try {
            long deadline = System.nanoTime() + timeouts.connect().toNanos();
            for (int j = 0; j < rank; j++) peers[j] = connect(j, addresses.get(j), deadline);
            acceptHigherRanks(deadline);
        } catch (IOException | RuntimeException | Error e) {
            close();
            throw e;
        }
        closeQuietly(server);
        this.server = null;
        selector.selectNow(); // a closed channel's descriptor is released when its selector next selects
    }

    // ---- setting up ----

    private Conn connect(int peer, InetSocketAddress address, long deadline) throws IOException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new PeerTimeoutException(peer, who() + ": could not connect to rank " + peer + " (" + address
                        + ") within " + timeouts.connect().toMillis() + " ms");
            }
            SocketChannel ch = SocketChannel.open();
            Conn c = new Conn(peer, ch, address.toString());
            try {
                // attempts of a few seconds at most, so that a cancellation is seen between them
                ch.socket().connect(address, (int) Math.max(1, Math.min(CONNECT_ATTEMPT_MILLIS, left / 1_000_000)));
            } catch (ConnectException | SocketTimeoutException e) { // not listening yet: try again until the deadline
                closeQuietly(ch);
                sleepUntil(Math.min(deadline, System.nanoTime() + 50_000_000L));
                checkInterrupt();
                continue;
            } catch (IOException e) {
                closeQuietly(ch);
                if (System.nanoTime() - deadline >= 0) {
                    throw new PeerTimeoutException(peer, who() + ": could not connect to rank " + peer + " ("
                            + address + ") within " + timeouts.connect().toMillis() + " ms");
                }
                throw new PeerException(peer, who() + ": could not connect to rank " + peer + " (" + address + "): "
                        + e.getMessage(), e);
            }
            try {
                register(c);
                // The whole connect timeout, not the I/O one: the lower rank answers only once it has
                // connected to the ranks below it and is accepting.
                clientHandshake(c, deadline);
                return c;
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
        }
    }

    private void clientHandshake(Conn c, long deadline) throws IOException {
        byte[] clientNonce = handshake.nonce();
        ByteBuffer hello = ByteBuffer.allocate(Handshake.HELLO_BYTES);
        hello.putInt(Handshake.HELLO).putInt(Handshake.VERSION).putInt(rank).putInt(c.rank).put(clientNonce).flip();
        ByteBuffer challenge = ByteBuffer.allocate(Handshake.CHALLENGE_BYTES);
        handshakeIo(c, hello, challenge, deadline);
        challenge.flip();
        int magic = challenge.getInt();
        if (magic == Handshake.REFUSED) {
            throw new PeerException(c.rank, who() + ": " + c.name() + " refused the connection (it is not rank "
                    + c.rank + " of a run of " + size + ", or already has a rank " + rank + ")");
        }
        if (magic != Handshake.CHALLENGE) {
            throw new PeerException(c.rank, who() + ": " + c.name() + " is not a transport peer (it answered "
                    + hex(magic) + ")");
        }
        byte[] serverNonce = new byte[Handshake.NONCE_BYTES], serverMac = new byte[Handshake.MAC_BYTES];
        challenge.get(serverNonce).get(serverMac);
        if (!Handshake.same(handshake.serverMac(c.rank, rank, clientNonce, serverNonce), serverMac)) {
            throw new PeerException(c.rank, who() + ": " + c.name()
                    + " failed authentication: it holds another key or belongs to another run");
        }
        ByteBuffer auth = ByteBuffer.allocate(Handshake.AUTH_BYTES);
        auth.putInt(Handshake.AUTH).put(handshake.clientMac(c.rank, rank, clientNonce, serverNonce)).flip();
        ByteBuffer verdict = ByteBuffer.allocate(Handshake.VERDICT_BYTES);
        handshakeIo(c, auth, verdict, deadline);
        int answer = verdict.flip().getInt();
        if (answer != Handshake.ACCEPTED) {
            throw new PeerException(c.rank, who() + ": " + c.name()
                    + " refused our authentication: this rank holds another key or belongs to another run");
        }
    }

    private void acceptHigherRanks(long deadline) throws IOException {
        int missing = size - 1 - rank;
        if (missing == 0) return;
        server.configureBlocking(false);
        SelectionKey acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        try {
            while (missing > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    List<Integer> absent = new ArrayList<>();
                    for (int j = rank + 1; j < size; j++) if (peers[j] == null) absent.add(j);
                    throw new PeerTimeoutException(absent.get(0), who() + ": rank" + (absent.size() > 1 ? "s " : " ")
                            + absent + " did not connect within " + timeouts.connect().toMillis() + " ms"
                            + (refused > 0 ? " (" + refused + " connection(s) refused)" : ""));
                }
                selector.select(Math.max(1, Math.min(left / 1_000_000, POLL_MILLIS)));
                checkInterrupt();
                selector.selectedKeys().clear();
                SocketChannel ch;
                while ((ch = server.accept()) != null) {
                    Conn c = accepted(ch, deadline);
                    if (c != null) {
                        peers[c.rank] = c;
                        missing--;
                    }
                }
            }
        } finally {
            acceptKey.cancel();
        }
    }

    /** The peer once authenticated, or null (the connection closed and counted as refused). */
    private Conn accepted(SocketChannel ch, long deadline) throws IOException {
        String address;
        try {
            address = String.valueOf(ch.getRemoteAddress());
        } catch (IOException e) {
            address = "?";
        }
        Conn c = new Conn(-1, ch, address);
        try {
            register(c);
            long until = Math.min(deadline, System.nanoTime() + ioNanos);
            ByteBuffer hello = ByteBuffer.allocate(Handshake.HELLO_BYTES);
            handshakeIo(c, null, hello, until);
            hello.flip();
            int magic = hello.getInt(), version = hello.getInt(), client = hello.getInt(), server = hello.getInt();
            byte[] clientNonce = new byte[Handshake.NONCE_BYTES];
            hello.get(clientNonce);
            if (magic != Handshake.HELLO || version != Handshake.VERSION || server != rank || client <= rank
                    || client >= size || peers[client] != null) {
                ByteBuffer no = ByteBuffer.allocate(Handshake.CHALLENGE_BYTES).putInt(Handshake.REFUSED);
                handshakeIo(c, no.position(no.capacity()).flip(), null, until);
                return refuse(c);
            }
            byte[] serverNonce = handshake.nonce();
            ByteBuffer challenge = ByteBuffer.allocate(Handshake.CHALLENGE_BYTES);
            challenge.putInt(Handshake.CHALLENGE).put(serverNonce)
                    .put(handshake.serverMac(rank, client, clientNonce, serverNonce)).flip();
            ByteBuffer auth = ByteBuffer.allocate(Handshake.AUTH_BYTES);
            handshakeIo(c, challenge, auth, until);
            auth.flip();
            byte[] clientMac = new byte[Handshake.MAC_BYTES];
            int authMagic = auth.getInt();
            auth.get(clientMac);
            boolean ok = authMagic == Handshake.AUTH
                    && Handshake.same(handshake.clientMac(rank, client, clientNonce, serverNonce), clientMac);
            ByteBuffer verdict = ByteBuffer.allocate(Handshake.VERDICT_BYTES)
                    .putInt(ok ? Handshake.ACCEPTED : Handshake.REFUSED).flip();
            handshakeIo(c, verdict, null, until);
            if (!ok) return refuse(c);
            Conn peer = new Conn(client, ch, address);
            peer.key = c.key;
            return peer;
        } catch (InterruptedIOException e) {
            closeQuietly(ch);
            throw e;
        } catch (IOException e) { // a peer that fails its handshake is refused; the others may still come
            return refuse(c);
        }
    }

    private Conn refuse(Conn c) {
        closeQuietly(c.channel);
        refused++;
        return null;
    }

    private void register(Conn c) throws IOException {
        c.channel.configureBlocking(false);
        c.channel.socket().setTcpNoDelay(true);
        c.key = c.channel.register(selector, 0);
    }

    private void handshakeIo(Conn c, ByteBuffer out, ByteBuffer in, long deadline) throws IOException {
        long[] counted = pump(c, out == null ? null : new ByteBuffer[] {out}, c, in, null, 0, deadline,
                Long.MAX_VALUE / 4, "the handshake");
        handshakeBytesSent += counted[0];
        handshakeBytesReceived += counted[1];
    }

    // ---- frames ----

    @Override
    public void send(int peer, ByteBuffer src) throws IOException {
        exchange(peer, src, -1, null);
    }

    @Override
    public void receive(int peer, ByteBuffer dst) throws IOException {
        exchange(-1, null, peer, dst);
    }

    @Override
    public void exchange(int to, ByteBuffer src, int from, ByteBuffer dst) throws IOException {
        ensureOpen();
        Conn out = src == null ? null : peer(to), in = dst == null ? null : peer(from);
        ByteBuffer[] outBufs = null;
        if (out != null) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(FRAME_MAGIC).putLong(src.remaining()).flip();
            outBufs = new ByteBuffer[] {header, src};
        }
        ByteBuffer inHeader = in == null ? null : ByteBuffer.allocate(HEADER_BYTES);
        try {
            long[] counted = pump(out, outBufs, in, inHeader, dst, dst == null ? 0 : dst.remaining(), Long.MAX_VALUE,
                    ioNanos, "a frame");
            bytesSent += counted[0];
            bytesReceived += counted[1];
            if (in != null) framesReceived++;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Writes raw bytes with no frame header: only for tests of what a hostile peer may send. */
    void sendRawForTest(int peer, ByteBuffer bytes) throws IOException {
        long[] counted = pump(peer(peer), new ByteBuffer[] {bytes}, null, null, null, 0, Long.MAX_VALUE, ioNanos,
                "raw bytes");
        bytesSent += counted[0];
    }

    /**
     * Moves bytes until {@code outBufs} are written and {@code inFirst} (then, for a frame,
     * {@code inPayload}) are filled, whichever peers are slower; a frame's header is checked the
     * moment it is complete, before a byte of its payload is read. Fails when no byte moves for
     * {@code stallNanos} or {@code deadline} passes. Returns {bytes written, bytes read}.
     */
    private long[] pump(Conn out, ByteBuffer[] outBufs, Conn in, ByteBuffer inFirst, ByteBuffer inPayload,
            long expected, long deadline, long stallNanos, String what) throws IOException {
        long written = 0, read = 0;
        boolean headerChecked = inPayload == null;
        long lastProgress = System.nanoTime();
        while (true) {
            boolean writing = out != null && outBufs != null && remaining(outBufs);
            ByteBuffer target = in == null || inFirst == null ? null
                    : inFirst.hasRemaining() ? inFirst : inPayload != null && inPayload.hasRemaining() ? inPayload : null;
            if (!writing && target == null) return new long[] {written, read};
            boolean progress = false;
            if (writing) {
                long n;
                try {
                    n = out.channel.write(outBufs);
                } catch (IOException e) {
                    throw lost(out, "sending " + what, e);
                }
                written += n;
                progress |= n > 0;
            }
            if (target != null) {
                int n;
                try {
                    n = in.channel.read(target);
                } catch (IOException e) {
                    throw lost(in, "receiving " + what, e);
                }
                if (n < 0) {
                    throw new PeerException(in.rank, who() + ": " + in.name() + " closed the connection while "
                            + "this rank was receiving " + what);
                }
                read += n;
                progress |= n > 0;
                if (!headerChecked && !inFirst.hasRemaining()) {
                    checkHeader(in, inFirst, expected);
                    headerChecked = true;
                }
            }
            long now = System.nanoTime();
            if (progress) {
                lastProgress = now;
                continue;
            }
            long left = stallNanos + (lastProgress - now); // differences only: nanoTime may wrap
            boolean pastDeadline = false;
            if (deadline != Long.MAX_VALUE) {
                left = Math.min(left, deadline - now);
                pastDeadline = deadline - now <= 0;
            }
            if (left <= 0) throw stalled(out, writing, in, target != null, what, pastDeadline);
            try {
                setInterest(out, writing, in, target != null);
                selector.select(Math.max(1, Math.min(left / 1_000_000, POLL_MILLIS)));
                selector.selectedKeys().clear();
                if (out != null) out.key.interestOps(0);
                if (in != null) in.key.interestOps(0);
            } catch (ClosedSelectorException | CancelledKeyException e) { // closed by another thread
                throw new IOException(who() + ": the transport was closed while " + what + " was in flight");
            }
            checkInterrupt();
            ensureOpen();
        }
    }

    /**
     * A failed read or write: the peer's fault, unless this rank was interrupted (a channel is closed
     * by an interrupt) or closed its transport from another thread.
     */
    private IOException lost(Conn c, String doing, IOException e) {
        if (e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
            InterruptedIOException x = new InterruptedIOException(who() + ": interrupted while " + doing);
            x.initCause(e);
            return x;
        }
        if (closed) return new IOException(who() + ": the transport was closed while " + doing, e);
        return new PeerException(c.rank, who() + ": lost the connection to " + c.name() + " " + doing + ": "
                + e.getMessage(), e);
    }

    private void checkHeader(Conn in, ByteBuffer header, long expected) throws PeerException {
        header.flip();
        int magic = header.getInt();
        long length = header.getLong();
        if (magic != FRAME_MAGIC) {
            throw new PeerException(in.rank, who() + ": " + in.name() + " sent " + hex(magic)
                    + " where a frame header was expected (the ranks' collectives are out of step)");
        }
        if (length != expected) {
            throw new PeerException(in.rank, who() + ": " + in.name() + " sent a frame of " + length + " bytes; "
                    + expected + " expected");
        }
    }

    private PeerTimeoutException stalled(Conn out, boolean writing, Conn in, boolean reading, String what,
            boolean handshakeDeadline) {
        String limit = handshakeDeadline ? "did not finish the handshake in time"
                : "moved no byte for " + timeouts.io().toMillis() + " ms (the I/O timeout)";
        if (reading) {
            return new PeerTimeoutException(in.rank, who() + ": " + in.name() + " " + limit + " while this rank was"
                    + " receiving " + what + (writing && out != in ? " (and sending to " + out.name() + ")" : ""));
        }
        return new PeerTimeoutException(out.rank, who() + ": " + out.name() + " " + limit + " while this rank was"
                + " sending " + what + " (it takes no more bytes)");
    }

    private static void setInterest(Conn out, boolean writing, Conn in, boolean reading) {
        if (out == in && out != null) {
            out.key.interestOps((writing ? SelectionKey.OP_WRITE : 0) | (reading ? SelectionKey.OP_READ : 0));
            return;
        }
        if (writing) out.key.interestOps(SelectionKey.OP_WRITE);
        if (reading) in.key.interestOps(SelectionKey.OP_READ);
    }

    private static boolean remaining(ByteBuffer[] bufs) {
        for (ByteBuffer b : bufs) if (b.hasRemaining()) return true;
        return false;
    }

    private Conn peer(int peer) {
        if (peer < 0 || peer >= size || peer == rank) {
            throw new IllegalArgumentException(who() + ": no peer " + peer + " among " + size + " ranks");
        }
        return peers[peer];
    }

    private void ensureOpen() throws IOException {
        if (closed) throw new IOException(who() + ": the transport is closed");
    }

    private void checkInterrupt() throws IOException {
        if (Thread.interrupted()) {
            close();
            throw new InterruptedIOException(who() + ": interrupted");
        }
        if (cancelled.getAsBoolean()) {
            close();
            throw new InterruptedIOException(who() + ": cancelled (its task was killed)");
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedIOException {
        long ms = (nanoTime - System.nanoTime()) / 1_000_000;
        if (ms <= 0) return;
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting");
        }
    }

    private String who() {
        return "rank " + rank;
    }

    private static String hex(int magic) {
        return String.format("0x%08x", magic);
    }

    // ---- accounting and closing ----

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public long bytesReceived() {
        return bytesReceived;
    }

    @Override
    public long framesReceived() {
        return framesReceived;
    }

    /** Handshake bytes written (all connections, refused ones included). */
    public long handshakeBytesSent() {
        return handshakeBytesSent;
    }

    /** Handshake bytes read (all connections, refused ones included). */
    public long handshakeBytesReceived() {
        return handshakeBytesReceived;
    }

    /** Connections refused while setting up (a failed or malformed handshake, a rank already in). */
    public int refusedConnections() {
        return refused;
    }

    @Override
    public int openSockets() {
        int open = server != null && server.isOpen() ? 1 : 0;
        for (Conn c : peers) if (c != null && c.channel.isOpen()) open++;
        return open;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (server != null) closeQuietly(server);
        for (Conn c : peers) if (c != null) closeQuietly(c.channel);
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }

    @Override
    public String toString() {
        return "TcpTransport[rank " + rank + " of " + size + (closed ? ", closed" : "") + "]";
    }
}
