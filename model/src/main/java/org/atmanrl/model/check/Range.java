package org.atmanrl.model.check;

/**
 * The values a number knob allows, declared once beside the knob: the record's check, its message,
 * and the range a config file's messages and comments show all come from here. Every value in a
 * range is finite.
 *
 * @param min     the lower bound, or -Infinity for none
 * @param minOpen whether {@code min} itself is excluded
 * @param max     the upper bound, or +Infinity for none
 * @param maxOpen whether {@code max} itself is excluded
 */
public record Range(double min, boolean minOpen, double max, boolean maxOpen) {
    /** Any finite value. */
    public static final Range ANY = new Range(Double.NEGATIVE_INFINITY, true, Double.POSITIVE_INFINITY, true);

    /** {@code >= min}. */
    public static Range atLeast(double min) {
        return new Range(min, false, Double.POSITIVE_INFINITY, true);
    }

    /** {@code > min}. */
    public static Range above(double min) {
        return new Range(min, true, Double.POSITIVE_INFINITY, true);
    }

    /** {@code [min, max]}. */
    public static Range closed(double min, double max) {
        return new Range(min, false, max, false);
    }

    /** {@code [min, max)}. */
    public static Range closedOpen(double min, double max) {
        return new Range(min, false, max, true);
    }

    /** {@code (min, max)}. */
    public static Range open(double min, double max) {
        return new Range(min, true, max, true);
    }

    /** {@code (min, max]}. */
    public static Range openClosed(double min, double max) {
        return new Range(min, true, max, false);
    }

    public boolean contains(double v) {
        return Double.isFinite(v) && (minOpen ? v > min : v >= min) && (maxOpen ? v < max : v <= max);
    }

    /** The range as a message or comment shows it: {@code >= 1}, {@code > 0}, {@code in [0, 1)}; empty for {@link #ANY}. */
    public String text() {
        if (min == Double.NEGATIVE_INFINITY && max == Double.POSITIVE_INFINITY) return "";
        if (max == Double.POSITIVE_INFINITY) return (minOpen ? "> " : ">= ") + show(min);
        if (min == Double.NEGATIVE_INFINITY) return (maxOpen ? "< " : "<= ") + show(max);
        return "in " + (minOpen ? "(" : "[") + show(min) + ", " + show(max) + (maxOpen ? ")" : "]");
    }

    /** Null when {@code v} is in the range, else what is wrong: {@code must be >= 1, got 0}. */
    public String fault(Number v) {
        double d = v.doubleValue();
        if (contains(d)) return null;
        String text = text();
        String wanted = Double.isFinite(d) ? text : text.isEmpty() ? "finite" : "finite and " + text;
        return "must be " + wanted + ", got " + v;
    }

    /** {@code v}, or an IllegalArgumentException "{@code name} must be ..., got v". */
    public int check(String name, int v) {
        require(name, v);
        return v;
    }

    public long check(String name, long v) {
        require(name, v);
        return v;
    }

    public double check(String name, double v) {
        require(name, v);
        return v;
    }

    private void require(String name, Number v) {
        String fault = fault(v);
        if (fault != null) throw new IllegalArgumentException(name + " " + fault);
    }

    private static String show(double bound) {
        return bound == Math.rint(bound) && Math.abs(bound) < 1e15 ? Long.toString((long) bound) : Double.toString(bound);
    }
}
