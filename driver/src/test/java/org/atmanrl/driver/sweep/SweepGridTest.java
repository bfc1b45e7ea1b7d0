package org.atmanrl.driver.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.config.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grid files: their faults, each one line naming the file, the key and the value; point order, names and configs. */
class SweepGridTest {
    @TempDir
    java.nio.file.Path tmp;

    private String file(String name, String text) throws Exception {
        java.nio.file.Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p.toString();
    }

    private SweepPlan plan(String yaml, String... sets) throws Exception {
        String f = file("grid.yaml", yaml);
        return SweepPlan.of(SweepGrid.read(new Configuration(), f, List.of(sets)), new Configuration());
    }

    private void assertFault(String yaml, String... parts) throws Exception {
        UserInputException e = assertThrows(UserInputException.class, () -> plan(yaml));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith("grid " + tmp.resolve("grid.yaml")), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    private static final String OK = "set: {model: m}\noutput: out\n";

    @Test
    void pointsAreTheProductInNestedLoopOrderWithStableNames() throws Exception {
        SweepPlan plan = plan(OK + "grid:\n  saliency.alpha: [0, 0.25, 1]\n  seed: [2, 1]\n");
        assertEquals(List.of("alpha=0,seed=2", "alpha=0,seed=1", "alpha=0.25,seed=2", "alpha=0.25,seed=1",
                "alpha=1,seed=2", "alpha=1,seed=1"), plan.points().stream().map(SweepPlan.Point::name).toList());
        SweepPlan.Point p = plan.points().get(3);
        assertEquals(0.25, p.config().saliency().alpha());
        assertEquals(1, p.config().seed());
        assertEquals("out/points/alpha=0.25,seed=1", p.config().output());
        assertEquals("m", p.config().model());
        assertEquals(Map.of("output", "out -> out/points/alpha=0.25,seed=1", "seed", "0 -> 1",
                "saliency.alpha", "0.5 -> 0.25"), plan.changes(p));
    }

    @Test
    void labelsShortenNamesSharedLeavesKeepTheKeyAndUnsafeCharactersBecomeUnderscores() throws Exception {
        SweepPlan plan = plan(OK + "grid:\n  saliency.lr: [0.5]\n  optimizer.lr: [1.0e-5]\n  grpo.loss_aggregation: [dr_grpo]\n"
                + "  data.difficulty: [{max_operations: 3}]\n"
                + "labels: {grpo.loss_aggregation: agg}\n");
        assertEquals("saliency.lr=0.5,optimizer.lr=1.0E-5,agg=dr_grpo,difficulty=__max_operations__3_",
                plan.points().get(0).name());
        assertEquals(3, plan.points().get(0).config().data().difficulty().maxOperations());
    }

    @Test
    void baseIsRelativeToTheGridFileAndSetsApplyInOrder() throws Exception {
        file("configs/base.yaml", "model: m0\noutput: o\nsteps: 7\ngrpo: {group_size: 4}\n");
        String grid = file("sweeps/g.yaml", "base: ../configs/base.yaml\nset: {steps: 5}\ngrid: {seed: [1]}\noutput: out\n");
        SweepPlan plan = SweepPlan.of(SweepGrid.read(new Configuration(), grid, List.of("model=m1")), new Configuration());
        TrainConfig c = plan.points().get(0).config();
        assertEquals(5, c.steps());
        assertEquals(4, c.grpo().groupSize());
        assertEquals("m1", c.model());
    }

    @Test
    void aBadGridValueNamesTheFileTheKeyAndTheValue() throws Exception {
        assertFault(OK + "grid:\n  saliency.alpha: [0, -1]\n", "grid saliency.alpha value -1", "(point alpha=-1)",
                "must be >= 0, got -1.0");
    }

    @Test
    void anUnknownGridKeyNamesIt() throws Exception {
        assertFault(OK + "grid:\n  grpo.group_sise: [2, 4]\n", "grid grpo.group_sise value 2", "unknown key 'grpo.group_sise'",
                "group_size");
    }

    @Test
    void aCombinationFaultOfOnePointIsBlamedOnItsValue() throws Exception {
        assertFault("set: {model: m, prompts_per_step: 2}\noutput: out\ngrid:\n  partitions: [1, 3]\n",
                "grid partitions value 3", "(point partitions=3)", "partitions: must be <= prompts_per_step", "got 3 partitions for 2 prompts");
    }

    @Test
    void aBadSetNamesTheGridFilesSet() throws Exception {
        assertFault("set: {model: m, steps: 0}\noutput: out\ngrid: {seed: [1]}\n", "grid.yaml: set steps: steps: must be in [1, 99999999], got 0");
    }

    @Test
    void aMissingModelIsNamed() throws Exception {
        assertFault("output: out\ngrid: {seed: [1]}\n", "model is required");
    }

    @Test
    void structuralFaultsAreOneLineEach() throws Exception {
        assertFault(OK + "grid: {seed: [1]}\nparalel_points: 2\n", "unknown key 'paralel_points'", "parallel_points");
        assertFault(OK + "grid: {seed: 1}\n", "grid: seed: expected a non-empty list of values", "got 1");
        assertFault(OK + "grid: {seed: []}\n", "grid: seed: expected a non-empty list");
        assertFault(OK + "grid: {}\n", "grid: expected a mapping of config keys to lists of values");
        assertFault(OK, "grid: expected a mapping", "got nothing");
        assertFault(OK + "grid: {seed: [1, 2, 1]}\n", "seed: value 1 is listed twice");
        assertFault(OK + "grid: {output: [a, b]}\n", "grid: output is the sweep's own");
        assertFault(OK + "grid: {spark.master: [local]}\n", "grid: spark.master", "one Spark application");
        assertFault("set: {model: m}\ngrid: {seed: [1]}\n", "output: expected the sweep directory", "got nothing");
        assertFault(OK + "grid: {seed: [1]}\nparallel_points: 0\n", "parallel_points: expected an integer >= 1, got 0");
        assertFault(OK + "grid: {seed: [1]}\nlabels: {steps: s}\n", "labels: steps is not a grid key");
        assertFault(OK + "grid: {seed: [1], data.data_seed: [2]}\nlabels: {data.data_seed: seed}\n",
                "seed and data.data_seed share the label 'seed'");
        assertFault(OK + "grid: {seed: [1]}\nlabels: {seed: 'a b'}\n", "labels: seed: expected a short name");
        assertFault("set: {model: m, seed: 3}\noutput: out\ngrid: {seed: [1]}\n", "set seed: seed is a grid key");
        assertFault("set: {model: m, output: x}\noutput: out\ngrid: {seed: [1]}\n", "set output: output is the sweep's own");
        assertFault(OK + "grid: {seed: [1]\n", "malformed YAML at line");
        assertFault(OK + "grid: {seed: [1]}\ngrid: {seed: [2]}\n", "malformed YAML", "grid");
        assertFault(OK + "grid: {saliency.alpha: [0.50, 0.5]}\n", "saliency.alpha: value 0.5 is listed twice");
        assertFault(OK + "grid: {saliency.alpha: [1, 1.0]}\n", "points alpha=1 and alpha=1.0 have the same config");
    }

    @Test
    void aValueNamedTwiceAfterSanitisingIsRefused() throws Exception {
        assertFault(OK + "grid: {data.system_prompt: ['a/b', 'a:b']}\n",
                "points system_prompt=a/b and system_prompt=a:b get the same name system_prompt=a_b");
    }

    @Test
    void theCommandLineSetCannotTakeAGridKeyOrBeMalformed() throws Exception {
        UserInputException e = assertThrows(UserInputException.class, () -> plan(OK + "grid: {seed: [1]}\n", "seed=4"));
        assertEquals("--set seed=4: seed is a grid key; its values come from the grid", e.getMessage());
        e = assertThrows(UserInputException.class, () -> plan(OK + "grid: {seed: [1]}\n", "steps"));
        assertTrue(e.getMessage().startsWith("--set steps: expected key=value"), e.getMessage());
    }

    @Test
    void aMissingGridFileOrWrongExtensionIsOneLine() {
        UserInputException e = assertThrows(UserInputException.class,
                () -> SweepGrid.read(new Configuration(), tmp.resolve("nope.yaml").toString(), List.of()));
        assertEquals("grid " + tmp.resolve("nope.yaml") + ": file not found", e.getMessage());
        e = assertThrows(UserInputException.class,
                () -> SweepGrid.read(new Configuration(), tmp.resolve("g.txt").toString(), List.of()));
        assertTrue(e.getMessage().endsWith("unknown format; expected a .yaml, .yml or .json file"), e.getMessage());
    }

    @Test
    void jsonGridFilesWorkToo() throws Exception {
        String f = file("g.json", "{\"set\": {\"model\": \"m\"}, \"output\": \"o\", \"grid\": {\"grpo.group_size\": [2, 4]},"
                + " \"parallel_points\": 2}");
        SweepPlan plan = SweepPlan.of(SweepGrid.read(new Configuration(), f, List.of()), new Configuration());
        assertEquals(List.of(2, 4), plan.points().stream().map(p -> p.config().grpo().groupSize()).toList());
        assertEquals(2, plan.grid().parallelPoints());
    }

    @Test
    void theRecordListsEveryDifferenceButIgnoresParallelPoints() throws Exception {
        String stored = plan(OK + "grid: {saliency.alpha: [0, 0.5], seed: [1]}\n").record();
        assertEquals(List.of(), plan(OK + "grid: {saliency.alpha: [0, 0.5], seed: [1]}\nparallel_points: 3\n")
                .differencesFrom(stored));
        assertEquals(List.of("grid.saliency.alpha: [0,0.5] then, [0,1] now", "points: [\"alpha=0,seed=1\",\"alpha=0.5,seed=1\"]"
                        + " then, [\"alpha=0,seed=1\",\"alpha=1,seed=1\"] now", "config.steps: 40 then, 3 now"),
                plan("set: {model: m, steps: 3}\noutput: out\ngrid: {saliency.alpha: [0, 1], seed: [1]}\n").differencesFrom(stored));
    }
}
