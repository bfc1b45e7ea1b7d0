package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep's points grouped by every grid value but {@code seed}'s: the points of a group differ
 * only in their seed, so their spread is what chance alone does to a setting. Groups are in the
 * order of their first point; a group's name is its point names without the seed, e.g.
 * {@code alpha=0.5}, or {@code all} when seed is the grid's only key.
 */
final class SeedGroups {
    /** The config key whose grid values are the seeds. */
    static final String SEED = "seed";
    static final String ALL = "all";

    /** Points (plan indexes) with the same values of the other axes ({@code settings}, in grid order). */
    record Group(String name, List<JsonNode> settings, List<Integer> points) {
        Group {
            settings = List.copyOf(settings);
            points = List.copyOf(points);
        }
    }

    private final List<GridAxis> settingAxes;
    private final List<Group> groups;
    private final String omitted;

    private SeedGroups(List<GridAxis> settingAxes, List<Group> groups, String omitted) {
        this.settingAxes = List.copyOf(settingAxes);
        this.groups = List.copyOf(groups);
        this.omitted = omitted;
    }

    static SeedGroups of(SweepPlan plan) {
        List<GridAxis> axes = plan.grid().axes();
        int seedAt = -1;
        for (int k = 0; k < axes.size(); k++) if (axes.get(k).key().equals(SEED)) seedAt = k;
        if (seedAt < 0) return new SeedGroups(axes, List.of(), "the grid has no seed key");
        List<GridAxis> settingAxes = new ArrayList<>(axes);
        settingAxes.remove(seedAt);
        Map<List<JsonNode>, List<Integer>> byValues = new LinkedHashMap<>();
        for (SweepPlan.Point p : plan.points()) {
            List<JsonNode> settings = new ArrayList<>(p.values());
            settings.remove(seedAt);
            byValues.computeIfAbsent(List.copyOf(settings), s -> new ArrayList<>()).add(p.index());
        }
        List<Group> groups = new ArrayList<>();
        boolean anyPair = false;
        for (Map.Entry<List<JsonNode>, List<Integer>> e : byValues.entrySet()) {
            String name = settingAxes.isEmpty() ? ALL : SweepPlan.name(settingAxes, e.getKey());
            groups.add(new Group(name, e.getKey(), e.getValue()));
            anyPair |= e.getValue().size() > 1;
        }
        if (!anyPair) return new SeedGroups(settingAxes, List.of(), "seed has one value, so every group is one point");
        return new SeedGroups(settingAxes, groups, null);
    }

    /** The grid's axes but seed. */
    List<GridAxis> settingAxes() {
        return settingAxes;
    }

    /** The groups; empty when {@link #omitted()}. */
    List<Group> groups() {
        return groups;
    }

    /** Why nothing is aggregated over seeds, e.g. "the grid has no seed key"; null when something is. */
    String omitted() {
        return omitted;
    }
}
