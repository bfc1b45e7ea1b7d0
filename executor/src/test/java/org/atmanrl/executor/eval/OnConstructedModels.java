package org.atmanrl.executor.eval;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class on {@link FaithfulnessTest}'s constructed models and tokenizer: built before it, freed after it. */
abstract class OnConstructedModels {
    @BeforeAll
    static void build() {
        FaithfulnessTest.build();
    }

    @AfterAll
    static void free() {
        FaithfulnessTest.free();
    }
}
