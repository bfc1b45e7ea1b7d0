package org.atmanrl.driver.bench;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The value of {@code --config}: one shape by its label, or {@code all} of them in order. */
record ShapeSelection(List<BenchShape> shapes) {
    static final String ALL = "all";

    /** Converts an option value; the message of a bad one lists what is allowed. */
    static final class Converter implements ITypeConverter<ShapeSelection> {
        @Override
        public ShapeSelection convert(String value) {
            if (ALL.equals(value)) {
                return new ShapeSelection(List.of(BenchShape.values()));
            }
            for (BenchShape s : BenchShape.values()) {
                if (s.label().equals(value)) {
                    return new ShapeSelection(List.of(s));
                }
            }
            throw new TypeConversionException("expected one of " + allowed() + " but was '" + value + "'");
        }

        private static String allowed() {
            return String.join(", ", Arrays.stream(BenchShape.values()).map(BenchShape::label).toList()) + ", " + ALL;
        }
    }
}
