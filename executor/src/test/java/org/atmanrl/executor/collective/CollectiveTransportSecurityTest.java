package org.atmanrl.executor.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Only authenticated peers of the same run get a frame through (docs/design.md 3.5): a wrong key,
 * another run id, a replayed handshake and a malformed one are refused before a frame is read,
 * and a frame whose header claims a hostile length is refused before anything is allocated for it.
 */
class CollectiveTransportSecurityTest {
    private static final String RUN = "run-security-test";

    /** Rank 0 of P = 2 waiting for its peer, and rank 1's listener (unused until the real rank 1 joins). */
    private static final class Rank0 implements AutoCloseable {
        final TcpTransport.Listener l0 = TcpTransport.listen(Ranks.LOOPBACK), l1 = TcpTransport.listen(Ranks.LOOPBACK);
        final List<InetSocketAddress> addresses = List.of(l0.address(), l1.address());
        final byte[] key = Ranks.key();
        final Future<TcpTransport> rank0 =
                Ranks.<TcpTransport>submit(1, r -> () -> l0.join(RUN, 0, addresses, key, Ranks.timeouts(60_000, 10_000)))
                        .get(0);

        Rank0() throws Exception {
        }

        TcpTransport joinRank1() throws Exception {
            return l1.join(RUN, 1, addresses, key, Ranks.timeouts(60_000, 10_000));
        }

        @Override
        public void close() {
            l0.close();
            l1.close();
        }
    }

    /** A rank that joins with {@code key} and {@code runId} as rank 1 from a listener of its own. */
    private static PeerException intrude(Rank0 r0, byte[] key, String runId) throws Exception {
        try (TcpTransport.Listener own = TcpTransport.listen(Ranks.LOOPBACK)) {
            List<InetSocketAddress> addresses = List.of(r0.addresses.get(0), own.address());
            return assertThrows(PeerException.class,
                    () -> own.join(runId, 1, addresses, key, Ranks.timeouts(10_000, 10_000)));
        }
    }

    private static void assertRank0NeverReadAFrame(Rank0 r0, int refused) throws Exception {
        TcpTransport rank1 = r0.joinRank1();
        TcpTransport rank0 = r0.rank0.get(60, TimeUnit.SECONDS);
        try {
            assertEquals(refused, rank0.refusedConnections());
            assertEquals(0, rank0.framesReceived(), "a frame was read");
            assertEquals(0, rank0.bytesReceived(), "frame bytes were read");
            // the run itself goes on with its real peer
            ByteBuffer in = ByteBuffer.allocate(3);
            rank1.send(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            rank0.receive(1, in);
            assertArrayEquals(new byte[] {1, 2, 3}, in.array());
        } finally {
            rank0.close();
            rank1.close();
        }
    }

    @Test
    void aPeerWithAWrongKeyIsRefusedBeforeAnyFrame() throws Exception {
        try (Rank0 r0 = new Rank0()) {
            byte[] wrong = r0.key.clone();
            wrong[31] ^= 1;
            PeerException e = intrude(r0, wrong, RUN);
            assertEquals(0, e.peer());
            assertTrue(e.getMessage().contains("rank 0") && e.getMessage().contains("failed authentication"),
                    e.getMessage());
            assertFalse(e.getMessage().contains(Ranks.hex(r0.key)) || e.getMessage().contains(Ranks.hex(wrong)));
            assertRank0NeverReadAFrame(r0, 1);
        }
    }

    @Test
    void aPeerWithTheRightKeyButAnotherRunIsRefused() throws Exception {
        try (Rank0 r0 = new Rank0()) {
            // the same length as RUN, so that only the MAC binding the run id itself can tell them apart
            PeerException e = intrude(r0, r0.key, "run-security-best");
            assertTrue(e.getMessage().contains("another run"), e.getMessage());
            assertRank0NeverReadAFrame(r0, 1);
        }
    }

    @Test
    void aPeerOfARunOfAnotherSizeIsRefused() throws Exception {
        try (Rank0 r0 = new Rank0()) {
            // the right key and run id, but a run of three ranks: the MAC binds P as well
            try (TcpTransport.Listener own = TcpTransport.listen(Ranks.LOOPBACK)) {
                List<InetSocketAddress> three = List.of(r0.addresses.get(0), own.address(), r0.addresses.get(1));
                PeerException e = assertThrows(PeerException.class,
                        () -> own.join(RUN, 1, three, r0.key, Ranks.timeouts(10_000, 10_000)));
                assertTrue(e.getMessage().contains("failed authentication"), e.getMessage());
            }
            assertRank0NeverReadAFrame(r0, 1);
        }
    }

    /** A raw client: a hello, then a bogus proof followed at once by a frame; rank 0 reads only the handshake. */
    @Test
    void aForgedProofIsRefusedAndTheFrameAfterItNeverRead() throws Exception {
        try (Rank0 r0 = new Rank0(); Socket s = new Socket()) {
            s.connect(r0.addresses.get(0), 10_000);
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.writeInt(Handshake.HELLO);
            out.writeInt(Handshake.VERSION);
            out.writeInt(1);
            out.writeInt(0);
            out.write(new byte[Handshake.NONCE_BYTES]);
            out.flush();
            assertEquals(Handshake.CHALLENGE, in.readInt());
            in.readFully(new byte[Handshake.NONCE_BYTES + Handshake.MAC_BYTES]);
            out.writeInt(Handshake.AUTH);
            out.write(new byte[Handshake.MAC_BYTES]);
            out.writeInt(TcpTransport.FRAME_MAGIC);
            out.writeLong(4);
            out.writeInt(0x12345678);
            out.flush();
            assertEquals(Handshake.REFUSED, in.readInt());
            assertThrows(EOFException.class, in::readInt, "rank 0 closes a refused connection");
            assertRank0NeverReadAFrame(r0, 1);
            TcpTransport rank0 = r0.rank0.get();
            assertEquals(Handshake.HELLO_BYTES + Handshake.AUTH_BYTES + Handshake.HELLO_BYTES + Handshake.AUTH_BYTES,
                    rank0.handshakeBytesReceived(), "rank 0 read the two handshakes' bytes and nothing more");
        }
    }

    /** A recorded handshake replayed: the server's fresh nonce makes the old proof worthless. */
    @Test
    void aReplayedHandshakeIsRefused() throws Exception {
        try (Rank0 r0 = new Rank0()) {
            Handshake h = new Handshake(r0.key, RUN, 2);
            byte[] clientNonce = h.nonce();
            byte[] hello = ByteBuffer.allocate(Handshake.HELLO_BYTES).putInt(Handshake.HELLO).putInt(Handshake.VERSION)
                    .putInt(1).putInt(0).put(clientNonce).array();
            byte[] recordedAuth;
            byte[] firstServerNonce = new byte[Handshake.NONCE_BYTES];
            try (Socket s = new Socket()) { // the recorded session: a valid proof for this challenge, never sent
                s.connect(r0.addresses.get(0), 10_000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(hello);
                DataInputStream in = new DataInputStream(s.getInputStream());
                assertEquals(Handshake.CHALLENGE, in.readInt());
                in.readFully(firstServerNonce);
                in.readFully(new byte[Handshake.MAC_BYTES]);
                recordedAuth = ByteBuffer.allocate(Handshake.AUTH_BYTES).putInt(Handshake.AUTH)
                        .put(h.clientMac(0, 1, clientNonce, firstServerNonce)).array();
            }
            try (Socket s = new Socket()) { // the replay
                s.connect(r0.addresses.get(0), 10_000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(hello);
                DataInputStream in = new DataInputStream(s.getInputStream());
                assertEquals(Handshake.CHALLENGE, in.readInt());
                byte[] secondServerNonce = new byte[Handshake.NONCE_BYTES];
                in.readFully(secondServerNonce);
                in.readFully(new byte[Handshake.MAC_BYTES]);
                assertFalse(Arrays.equals(firstServerNonce, secondServerNonce), "nonces are fresh");
                s.getOutputStream().write(recordedAuth);
                assertEquals(Handshake.REFUSED, in.readInt());
            }
            assertRank0NeverReadAFrame(r0, 2);
        }
    }

    /** A raw client's hello to {@code to}; returns the open socket, its answer's magic read. */
    private static Socket hello(InetSocketAddress to, int client, int server, byte[] nonce, int[] magic)
            throws Exception {
        Socket s = new Socket();
        s.connect(to, 10_000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(ByteBuffer.allocate(Handshake.HELLO_BYTES).putInt(Handshake.HELLO)
                .putInt(Handshake.VERSION).putInt(client).putInt(server).put(nonce).array());
        magic[0] = new DataInputStream(s.getInputStream()).readInt();
        return s;
    }

    /** Ranks that cannot be right are refused in the clear, before any MAC: a lower or equal rank, another server, a rank already in. */
    @Test
    void aHelloForRanksThatCannotBeRightIsRefused() throws Exception {
        TcpTransport.Listener l0 = TcpTransport.listen(Ranks.LOOPBACK), l1 = TcpTransport.listen(Ranks.LOOPBACK),
                l2 = TcpTransport.listen(Ranks.LOOPBACK);
        List<InetSocketAddress> addresses = List.of(l0.address(), l1.address(), l2.address());
        byte[] key = Ranks.key();
        Future<TcpTransport> rank0 = Ranks.<TcpTransport>submit(1,
                r -> () -> l0.join(RUN, 0, addresses, key, Ranks.timeouts(4_000, 4_000))).get(0);
        int[] magic = new int[1];
        byte[] nonce = new byte[Handshake.NONCE_BYTES];
        for (int[] ranks : new int[][] {{0, 0}, {1, 1}, {3, 0}, {-1, 0}}) {
            try (Socket s = hello(addresses.get(0), ranks[0], ranks[1], nonce, magic)) {
                assertEquals(Handshake.REFUSED, magic[0], "client " + ranks[0] + " to server " + ranks[1]);
            }
        }
        Handshake h = new Handshake(key, RUN, 3);
        try (Socket s = hello(addresses.get(0), 1, 0, nonce, magic)) { // the real rank 1, by hand
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertEquals(Handshake.CHALLENGE, magic[0]);
            byte[] serverNonce = new byte[Handshake.NONCE_BYTES];
            in.readFully(serverNonce);
            in.readFully(new byte[Handshake.MAC_BYTES]);
            s.getOutputStream().write(ByteBuffer.allocate(Handshake.AUTH_BYTES).putInt(Handshake.AUTH)
                    .put(h.clientMac(0, 1, nonce, serverNonce)).array());
            assertEquals(Handshake.ACCEPTED, in.readInt());
            try (Socket again = hello(addresses.get(0), 1, 0, nonce, magic)) {
                assertEquals(Handshake.REFUSED, magic[0], "a second rank 1");
            }
            ExecutionException x = assertThrows(ExecutionException.class, () -> rank0.get(60, TimeUnit.SECONDS));
            assertEquals("rank 0: rank [2] did not connect within 4000 ms (5 connection(s) refused)",
                    x.getCause().getMessage());
        } finally {
            l1.close();
            l2.close();
        }
    }

    /** Changing any one bound field (key, run id, P, either rank, either nonce, direction) changes the MAC. */
    @Test
    void theMacBindsEveryField() {
        byte[] key = Ranks.key(), otherKey = key.clone();
        otherKey[0] ^= 1;
        Handshake h = new Handshake(key, RUN, 3);
        byte[] nc = h.nonce(), ns = h.nonce(), nc2 = nc.clone(), ns2 = ns.clone();
        nc2[5] ^= 1;
        ns2[7] ^= 1;
        byte[] mac = h.serverMac(0, 2, nc, ns);
        List<byte[]> others = List.of(new Handshake(otherKey, RUN, 3).serverMac(0, 2, nc, ns),
                new Handshake(key, "run-security-tesu", 3).serverMac(0, 2, nc, ns),
                new Handshake(key, RUN, 4).serverMac(0, 2, nc, ns),
                h.serverMac(1, 2, nc, ns), h.serverMac(0, 1, nc, ns), h.serverMac(0, 2, nc2, ns),
                h.serverMac(0, 2, nc, ns2), h.clientMac(0, 2, nc, ns));
        assertTrue(Arrays.equals(mac, new Handshake(key, RUN, 3).serverMac(0, 2, nc, ns)), "a MAC is a function");
        for (int i = 0; i < others.size(); i++) assertFalse(Arrays.equals(mac, others.get(i)), "variant " + i);
    }

    @Test
    void keysShorterThan32BytesAreRefusedAndNoKeyIsShown() throws Exception {
        try (TcpTransport.Listener l = TcpTransport.listen(Ranks.LOOPBACK)) {
            List<InetSocketAddress> one = List.of(l.address());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> l.join(RUN, 0, one, new byte[31], Ranks.timeouts(1000, 1000)));
            assertEquals("the transport key must hold at least 32 bytes", e.getMessage());
        }
        byte[] key = Ranks.key();
        Handshake h = new Handshake(key, RUN, 2);
        assertFalse(h.toString().contains(Ranks.hex(key)) || h.toString().contains(Ranks.latin1(key)));
        List<TcpTransport> ts = Ranks.connect(2, RUN, key, Ranks.timeouts(30_000, 30_000));
        for (TcpTransport t : ts) assertEquals("TcpTransport[rank " + t.rank() + " of 2]", t.toString());
        Ranks.closeAll(ts);
    }

    /**
     * A frame header claiming far more than expected (1.5 GiB, or a length no array can hold, or a
     * negative one) is refused with a message naming the peer, before the receiver allocates
     * anything of that size: the receiving thread allocates less than 1 MiB in all.
     */
    @ParameterizedTest
    @ValueSource(longs = {1_610_612_736L, Long.MAX_VALUE, -1L, 65L})
    void aHostileLengthIsRefusedWithoutAllocating(long length) throws Exception {
        List<TcpTransport> ts = Ranks.connect(2, RUN, Ranks.key(), Ranks.timeouts(30_000, 30_000));
        try {
            ts.get(1).sendRawForTest(0, ByteBuffer.allocate(TcpTransport.HEADER_BYTES)
                    .putInt(TcpTransport.FRAME_MAGIC).putLong(length).flip());
            ByteBuffer expected64 = ByteBuffer.allocate(64);
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadAllocatedBytes();
            PeerException e = assertThrows(PeerException.class, () -> ts.get(0).receive(1, expected64));
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertTrue(e.getMessage().matches("rank 0: rank 1 \\(/127\\.0\\.0\\.1:\\d+\\) sent a frame of "
                    + length + " bytes; 64 expected"), e.getMessage());
            assertEquals(1, e.peer());
            assertTrue(allocated < (1 << 20), "the receiver allocated " + allocated + " bytes");
            assertEquals(0, ts.get(0).framesReceived());
            assertEquals(0, ts.get(0).openSockets(), "a refused frame closes the transport");
        } finally {
            Ranks.closeAll(ts);
        }
    }

    @Test
    void aFrameWithoutTheMagicIsRefused() throws Exception {
        List<TcpTransport> ts = Ranks.connect(2, RUN, Ranks.key(), Ranks.timeouts(30_000, 30_000));
        try {
            ts.get(1).sendRawForTest(0, ByteBuffer.allocate(TcpTransport.HEADER_BYTES).putInt(0x47455420).putLong(8).flip());
            PeerException e = assertThrows(PeerException.class, () -> ts.get(0).receive(1, ByteBuffer.allocate(8)));
            assertTrue(e.getMessage().contains("sent 0x47455420 where a frame header was expected"), e.getMessage());
        } finally {
            Ranks.closeAll(ts);
        }
    }
}
