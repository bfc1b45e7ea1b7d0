package org.atmanrl.reward.data;

/** The two disjoint parts of a generated task: problems to train on and problems to evaluate on. */
public enum Split {
    TRAIN("train"),
    TEST("test");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    /** The lower-case name used in problem ids, e.g. {@code arithmetic/test/17}. */
    public String label() {
        return label;
    }
}
