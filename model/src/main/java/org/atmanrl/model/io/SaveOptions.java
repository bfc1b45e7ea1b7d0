package org.atmanrl.model.io;

/**
 * How a model directory is written.
 *
 * @param dtype         element type of the weights on disk (F32 keeps training state exact; BF16
 *                      halves the size, as HF checkpoints usually ship)
 * @param maxShardBytes tensors go into one {@code model.safetensors} up to this many bytes, else
 *                      into {@code model-0000i-of-0000n.safetensors} shards with an index (HF's
 *                      {@code max_shard_size}; a tensor larger than this gets a shard of its own)
 */
public record SaveOptions(SafetensorsDType dtype, long maxShardBytes) {
    /** HF {@code save_pretrained}'s default shard size. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    public SaveOptions {
        if (dtype == null || !dtype.writable()) {
            throw new IllegalArgumentException("weights can be written as F32 or BF16, not " + dtype);
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        }
    }

    public static SaveOptions of(SafetensorsDType dtype) {
        return new SaveOptions(dtype, DEFAULT_MAX_SHARD_BYTES);
    }
}
