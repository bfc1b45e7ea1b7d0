package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A group of points that differ only in their seed, aggregated: its name and grid values (seed's
 * left out), how many seeds it has and how many of them finished, and per metric column the
 * statistics over the finished ones (a failed, pending or running point counts for nothing).
 */
public record SeedAggregate(String group, List<JsonNode> settings, int seeds, int finished,
                            Map<String, MeanInterval> metrics) {
    public SeedAggregate {
        settings = List.copyOf(settings);
        // the sweep table's column order, which Map.copyOf would lose
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
