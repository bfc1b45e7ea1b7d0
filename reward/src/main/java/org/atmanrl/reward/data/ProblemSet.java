package org.atmanrl.reward.data;

import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.atmanrl.model.RowRandom;

/**
 * The problems of one task and split, indexable so that a trainer can draw a seeded batch of
 * indices and build only those problems. {@code get(i)} gives equal problems on every call.
 */
public interface ProblemSet {
    /** E.g. {@code gsm8k/test}, {@code arithmetic/train}. */
    String name();

    int size();

    /** Problem {@code index}, {@code 0 <= index < size()}. */
    Problem get(int index);

    /**
     * The problem in {@code slot} of training step {@code step}: drawn with replacement by a key
     * of (seed, step, slot), so a step's batch depends on nothing else.
     */
    default Problem draw(long seed, long step, int slot) {
        long key = RowRandom.mix(RowRandom.mix(seed, step), slot);
        return get((int) Math.floorMod(key, (long) size()));
    }

    /** A set over problems already built. */
    static ProblemSet of(String name, List<Problem> problems) {
        List<Problem> copy = List.copyOf(problems);
        return lazy(name, copy.size(), copy::get);
    }

    /** A set whose problems are built by {@code build} when asked for. */
    static ProblemSet lazy(String name, int size, IntFunction<Problem> build) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(build, "build");
        if (size < 0) {
            throw new IllegalArgumentException("a problem set's size must be >= 0, not " + size);
        }
        return new ProblemSet() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public Problem get(int index) {
                Objects.checkIndex(index, size);
                return build.apply(index);
            }

            @Override
            public String toString() {
                return "ProblemSet(" + name + ", " + size + " problems)";
            }
        };
    }
}
