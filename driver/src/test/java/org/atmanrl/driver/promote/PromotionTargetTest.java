package org.atmanrl.driver.promote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.JsonFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing to a promotion target: whole or not at all, the replaced model kept, an interruption undone. */
class PromotionTargetTest {
    @TempDir
    java.nio.file.Path tmp;
    private FileSystem fs;
    private PromotionTarget target;

    @BeforeEach
    void setUp() throws Exception {
        fs = FileSystem.getLocal(new Configuration());
        target = new PromotionTarget(fs, new Path(tmp.resolve("promoted").toUri()));
    }

    private Path model(String name, String weights) throws Exception {
        java.nio.file.Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("model.safetensors"), weights);
        return new Path(dir.toUri());
    }

    private static ObjectNode summary(String runDir, double accuracy) {
        ObjectNode s = JsonFiles.MAPPER.createObjectNode().put("status", "promoted").put("run_dir", runDir);
        s.putObject("after").put("data_set", "t").put("problems", 4).put("accuracy", accuracy);
        return s;
    }

    @Test
    void publishingKeepsTheReplacedModelAndStoresTheSummary() throws Exception {
        assertTrue(target.summary().isEmpty());
        target.publish(fs, model("day-1", "one"), summary("file:/runs/day-1", 0.5));
        assertEquals("one", Files.readString(tmp.resolve("promoted/model.safetensors")));
        assertEquals(0.5, target.summary().orElseThrow().at("/after/accuracy").asDouble());
        assertTrue(target.holdsRunOf("file:/runs/day-1"));
        assertFalse(target.holdsRunOf("file:/runs/day-2"));

        target.publish(fs, model("day-2", "two"), summary("file:/runs/day-2", 0.75));
        assertEquals("two", Files.readString(tmp.resolve("promoted/model.safetensors")));
        assertEquals("one", Files.readString(tmp.resolve("promoted.previous/model.safetensors")));
        assertEquals("one", Files.readString(tmp.resolve("day-1/model.safetensors")), "the run's model is copied");
        try (var siblings = Files.list(tmp)) {
            assertEquals(List.of("day-1", "day-2", "promoted", "promoted.previous"),
                    siblings.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left");
        }
    }

    /** Killed between its two renames, a promotion leaves the old model aside; the next one moves it back. */
    @Test
    void anInterruptedPromotionIsUndone() throws Exception {
        target.publish(fs, model("day-1", "one"), summary("file:/runs/day-1", 0.5));
        byte[] before = Files.readAllBytes(tmp.resolve("promoted/model.safetensors"));
        Files.move(tmp.resolve("promoted"), tmp.resolve("promoted.previous"));
        Files.createDirectories(tmp.resolve(".promoted.tmp-0000"));
        assertEquals(0.5, target.summary().orElseThrow().at("/after/accuracy").asDouble(), "still the promoted one");
        List<String> log = new ArrayList<>();
        target.recover(log::add);
        assertArrayEquals(before, Files.readAllBytes(tmp.resolve("promoted/model.safetensors")));
        assertFalse(Files.exists(tmp.resolve("promoted.previous")));
        assertFalse(Files.exists(tmp.resolve(".promoted.tmp-0000")), "an unfinished copy is deleted");
        assertEquals(1, log.size(), log.toString());
    }

    @Test
    void aTargetTheGateCannotReadIsRefusedBeforeTraining() throws Exception {
        target.check(PromotionGate.DEFAULT); // absent: fine
        Files.writeString(tmp.resolve("promoted"), "a file");
        assertTrue(assertThrows(UserInputException.class, () -> target.check(PromotionGate.DEFAULT)).getMessage()
                .contains("is a file"));
        Files.delete(tmp.resolve("promoted"));
        model("promoted", "hand-made");
        assertTrue(assertThrows(UserInputException.class, () -> target.check(PromotionGate.DEFAULT)).getMessage()
                .contains("holds no atmanrl_summary.json"));
        Files.writeString(tmp.resolve("promoted/atmanrl_summary.json"), summary("file:/r", 0.5).toString());
        target.check(PromotionGate.DEFAULT);
        PromotionGate probe = new PromotionGate(List.of(GateRule.parse("faithfulness.adding_mistakes.change_rate")));
        String message = assertThrows(UserInputException.class, () -> target.check(probe)).getMessage();
        assertTrue(message.contains("no number after.faithfulness.adding_mistakes.change_rate"), message);
    }
}
