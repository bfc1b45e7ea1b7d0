package org.atmanrl.driver.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.serializer.SerializerInstance;
import org.atmanrl.executor.collective.Collective;
import org.atmanrl.executor.collective.TcpTransport;
import org.atmanrl.executor.task.TaskResult;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * How barrier mode's ranks find each other and share their small per-step results (docs/design.md
 * 3.5): Spark's {@link BarrierTaskContext#allGather} is a round trip through the driver, a
 * rendezvous and not a data plane, so it carries only each rank's transport address; each step's
 * small part of every rank's {@link TaskResult} (counts, rewards, metrics, loss sums; no gradient),
 * Kryo-written and bounded as every task result is, and the gradients travel over the
 * {@link TcpTransport}.
 */
final class BarrierRendezvous {
    /**
     * Setting up waits for every rank to connect; a read or write may wait this long without
     * progress. Each step's exchanges start after the allGather of the small results, which
     * every rank reaches only when its rollouts are done, so the I/O wait covers the transfer alone.
     */
    static final TcpTransport.Timeouts TIMEOUTS = new TcpTransport.Timeouts(Duration.ofMinutes(5),
            Duration.ofMinutes(10));
    private static final ClassTag<TaskResult> RESULT = ClassTag$.MODULE$.apply(TaskResult.class);

    private BarrierRendezvous() {
    }

    /**
     * Connects this rank to the others: listens on the executor's host, hands out "host:port"
     * through the barrier context, and joins with the run's key (at least 32 bytes).
     */
    static TcpTransport connect(BarrierTaskContext context, String runId, byte[] key) throws IOException {
        String host = SparkEnv.get().blockManager().blockManagerId().host();
        TcpTransport.Listener listener = TcpTransport.listen(InetAddress.getByName(host));
        try {
            String[] all = context.allGather(host + ":" + listener.address().getPort());
            List<InetSocketAddress> addresses = new ArrayList<>(all.length);
            for (String a : all) {
                int colon = a.lastIndexOf(':');
                addresses.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
            }
            // a rank of a failed stage is marked killed, not interrupted: its waits end on the mark
            return listener.join(runId, context.partitionId(), addresses, key, TIMEOUTS, context::isInterrupted);
        } finally {
            listener.close(); // join closes it too; this covers a failure before it
        }
    }

    /**
     * Every rank's {@code own}, in rank order, over the transport: Spark's barrier {@code allGather}
     * waits in steps of a second for its answer, a second a step, where these few kilobytes take
     * milliseconds (docs/design.md 3.5).
     */
    static List<TaskResult> allGather(Collective collective, TaskResult own) throws IOException {
        SerializerInstance kryo = SparkEnv.get().serializer().newInstance();
        ByteBuffer bytes = kryo.serialize(own, RESULT);
        byte[] b = new byte[bytes.remaining()];
        bytes.get(b);
        byte[][] all = collective.allGatherBytes(b, (int) KryoRegistration.MAX_SMALL_OBJECT_BYTES);
        List<TaskResult> results = new ArrayList<>(all.length);
        for (byte[] r : all) results.add(kryo.deserialize(ByteBuffer.wrap(r), RESULT));
        return results;
    }
}
