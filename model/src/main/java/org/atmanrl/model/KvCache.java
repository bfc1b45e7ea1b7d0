package org.atmanrl.model;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of every layer for a batch of rows, preallocated to a fixed capacity
 * ({@code [B, KV, capacity, hd]} per layer), plus which key cells are real tokens (left padding
 * and finished rows are not).
 */
public final class KvCache implements AutoCloseable {
    private final Layer[] layers;
    private final boolean[] valid; // [B * capacity]
    private final int batch;
    private final int capacity;
    private int length;
    /** The decoding step's arrays (docs/design.md 6.1, "Decoding"), made on its first step. */
    private DecodeStep.Buffers decode;

    public KvCache(LlamaConfig c, int batch, int capacity, DataType dtype) {
        this.batch = batch;
        this.capacity = capacity;
        this.layers = new Layer[c.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(
                    Nd4j.zeros(dtype, batch, c.numKeyValueHeads(), capacity, c.headDim()),
                    Nd4j.zeros(dtype, batch, c.numKeyValueHeads(), capacity, c.headDim()));
        }
        this.valid = new boolean[batch * capacity];
    }

    public int batch() { return batch; }
    public int capacity() { return capacity; }
    /** Cells filled so far (the same for every row). */
    public int length() { return length; }

    Layer layer(int i) { return layers[i]; }

    boolean valid(int row, int cell) { return valid[row * capacity + cell]; }

    /** Reserves the next {@code tb.length()} cells for {@code tb}'s tokens; returns where they start. */
    int advance(TokenBatch tb) {
        if (tb.batch() != batch) {
            throw new IllegalArgumentException("cache holds " + batch + " rows, batch has " + tb.batch());
        }
        if (length + tb.length() > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + tb.length()
                    + " cells exceed its capacity of " + capacity);
        }
        int past = length;
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < tb.length(); t++) {
                valid[r * capacity + past + t] = tb.valid(r, t);
            }
        }
        length += tb.length();
        return past;
    }

    DecodeStep.Buffers decodeBuffers(LlamaConfig c) {
        if (decode == null) {
            decode = new DecodeStep.Buffers(c, batch);
        }
        return decode;
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            Arrays2.release(l.keys, l.values);
        }
        if (decode != null) {
            decode.close();
            decode = null;
        }
    }

    static final class Layer {
        private final INDArray keys;
        private final INDArray values;

        Layer(INDArray keys, INDArray values) {
            this.keys = keys;
            this.values = values;
        }

        void append(INDArray k4, INDArray v4, int at) {
            long t = k4.size(2);
            cells(keys, at, at + t).assign(k4);
            cells(values, at, at + t).assign(v4);
        }

        INDArray keys(int length) { return cells(keys, 0, length); }
        /** The whole key buffer, {@code [B, KV, capacity, hd]} row-major, for reading and writing in place. */
        FloatBuffer keyData() { return keys.data().asNioFloat(); }
        FloatBuffer valueData() { return values.data().asNioFloat(); }
        INDArray values(int length) { return cells(values, 0, length); }

        private static INDArray cells(INDArray a, long from, long to) {
            return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
        }
    }
}
