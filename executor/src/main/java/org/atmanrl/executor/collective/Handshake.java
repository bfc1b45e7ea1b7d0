package org.atmanrl.executor.collective;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mutual challenge-response that opens every connection of the TCP transport (docs/design.md
 * 3.5): fixed-size messages (so nothing read before authentication is sized by the peer), fresh
 * 32-byte nonces from both sides, HMAC-SHA256 over the per-run key binding a direction label, the
 * run id, P, both ranks and both nonces, and constant-time comparison. The key is held only in the
 * {@link SecretKeySpec}; it appears in no message, exception or {@code toString}.
 */
final class Handshake {
    static final int VERSION = 1;
    static final int NONCE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MIN_KEY_BYTES = 32;
    static final int MAX_RUN_ID_BYTES = 256;

    /** "ATMH": client → server: magic, version, client rank, the server rank it expects, client nonce. */
    static final int HELLO = 0x41544D48;
    static final int HELLO_BYTES = 4 + 4 + 4 + 4 + NONCE_BYTES;
    /** "ATMC": server → client: magic, server nonce, the server's MAC. */
    static final int CHALLENGE = 0x41544D43;
    /** "ATMR": server → client in place of a challenge or a verdict: refused (padded to the message's size). */
    static final int REFUSED = 0x41544D52;
    static final int CHALLENGE_BYTES = 4 + NONCE_BYTES + MAC_BYTES;
    /** "ATMA": client → server: magic, the client's MAC. */
    static final int AUTH = 0x41544D41;
    static final int AUTH_BYTES = 4 + MAC_BYTES;
    /** "ATMK": server → client: accepted; only now may either side send a frame. */
    static final int ACCEPTED = 0x41544D4B;
    static final int VERDICT_BYTES = 4;

    private static final byte[] SERVER_LABEL = "atmanrl-transport-v1 server".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_LABEL = "atmanrl-transport-v1 client".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;
    private final byte[] runId;
    private final int size;
    private final SecureRandom random = new SecureRandom();

    /** {@code key} is copied; the caller may wipe its array afterwards. */
    Handshake(byte[] key, String runId, int size) {
        if (key == null || key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the transport key must hold at least " + MIN_KEY_BYTES + " bytes");
        }
        byte[] id = runId.getBytes(StandardCharsets.UTF_8);
        if (id.length == 0 || id.length > MAX_RUN_ID_BYTES) {
            throw new IllegalArgumentException("a run id of 1 to " + MAX_RUN_ID_BYTES + " UTF-8 bytes expected, not "
                    + id.length);
        }
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.runId = id;
        this.size = size;
    }

    byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    /** The server's proof, for the connection from {@code client} to {@code server}. */
    byte[] serverMac(int server, int client, byte[] clientNonce, byte[] serverNonce) {
        return mac(SERVER_LABEL, server, client, clientNonce, serverNonce);
    }

    /** The client's proof, for the same connection and nonces. */
    byte[] clientMac(int server, int client, byte[] clientNonce, byte[] serverNonce) {
        return mac(CLIENT_LABEL, server, client, clientNonce, serverNonce);
    }

    static boolean same(byte[] expected, byte[] received) {
        return MessageDigest.isEqual(expected, received);
    }

    private byte[] mac(byte[] label, int server, int client, byte[] clientNonce, byte[] serverNonce) {
        ByteBuffer b = ByteBuffer.allocate(4 + label.length + 4 + runId.length + 12 + 2 * NONCE_BYTES);
        b.putInt(label.length).put(label).putInt(runId.length).put(runId);
        b.putInt(size).putInt(server).putInt(client).put(clientNonce).put(serverNonce);
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m.doFinal(b.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e); // every Java 17 runtime has it
        }
    }

    @Override
    public String toString() {
        return "Handshake[run id of " + runId.length + " bytes, P=" + size + "]";
    }
}
