package org.atmanrl.model;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Tests' way to vary a few knobs of a config record: a copy with the named components changed, made
 * by its canonical constructor (so its checks run). Main code has no withX method per knob for
 * tests, and a test names only what it varies, not every component in order, so a new knob changes
 * neither.
 */
public final class Records {
    private Records() {
    }

    /**
     * {@code record} with components changed: {@code with(GrpoConfig.defaults(), "aggregation",
     * DR_GRPO, "beta", 0.05)}. An unknown name fails listing the record's components; the
     * constructor's own exception (an out-of-range value) is thrown as it is.
     */
    @SuppressWarnings("unchecked")
    public static <R extends Record> R with(R record, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) throw new IllegalArgumentException("expected name, value pairs");
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                values[i] = components[i].getAccessor().invoke(record);
                types[i] = components[i].getType();
            }
            for (int j = 0; j < namesAndValues.length; j += 2) {
                values[indexOf(components, (String) namesAndValues[j], record)] = namesAndValues[j + 1];
            }
            Constructor<R> canonical = (Constructor<R>) record.getClass().getDeclaredConstructor(types);
            return canonical.newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int indexOf(RecordComponent[] components, String name, Record record) {
        for (int i = 0; i < components.length; i++) {
            if (components[i].getName().equals(name)) return i;
        }
        throw new IllegalArgumentException(record.getClass().getSimpleName() + " has no component " + name + "; it has "
                + Arrays.stream(components).map(RecordComponent::getName).toList());
    }
}
