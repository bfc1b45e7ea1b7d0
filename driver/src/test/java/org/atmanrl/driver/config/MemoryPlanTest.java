package org.atmanrl.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.EmbeddedModel;
import org.junit.jupiter.api.Test;

/** The memory plan's numbers, computed here by hand, and its refusal (docs/design.md 3.3). */
class MemoryPlanTest {
    // vocab 100, hidden 16, intermediate 40, 2 layers, 4 heads of 4 dims, 2 kv heads, untied
    private static final LlamaConfig SMALL = LlamaConfig.of(100, 16, 40, 2, 4, 2, null, null, false);
    private static final LlamaConfig LLAMA_3B = LlamaConfig.of(128256, 3072, 8192, 28, 24, 8, null,
            LlamaConfig.RopeScaling.llama3Defaults(), true);
    private static final LlamaConfig LLAMA_1B = LlamaConfig.of(128256, 2048, 8192, 16, 32, 8, 64,
            LlamaConfig.RopeScaling.llama3Defaults(), true);
    private static final long GB = 1_000_000_000L;

    private static TrainConfig config(String... sets) {
        String[] all = new String[sets.length + 2];
        all[0] = "model=runs/sft";
        all[1] = "output=runs/grpo";
        System.arraycopy(sets, 0, all, 2, sets.length);
        return ConfigFiles.load(null, all);
    }

    private static MemoryPlan.Term term(java.util.List<MemoryPlan.Term> terms, String name) {
        return terms.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
    }

    @Test
    void weightsAreFourBytesPerParameterAndActivationsFollowTheKeptArrays() {
        // embed and untied head 100 x 16 each; per layer q, o 16 x 16, k, v 8 x 16, gate, up, down 40 x 16, two norms 16; final norm 16
        long params = 2 * 100 * 16 + 2 * (2 * 16 * 16 + 2 * 8 * 16 + 3 * 40 * 16 + 2 * 16) + 16;
        TrainConfig c = config("prompts_per_step=4", "partitions=2", "grpo.group_size=4", "sampling.max_new_tokens=20",
                "grpo.micro_batch_rows=0", "saliency.alpha=0", "saliency.metrics_when_off=false");
        MemoryPlan plan = MemoryPlan.of(c, SMALL, 12, 1);
        assertEquals(params, plan.parameters());
        assertEquals(params * 4, term(plan.executorShared(), "weights").bytes());
        int t = 12 + 20;
        // per layer per row: x, xn0, x1, xn1 [T, 16]; r0, r1 [T]; q, heads [4, T, 4]; k, v [2, T, 4];
        // probs [4, T, T] (kept at T = 32, see below); gate, up, h [T, 40]. Once: x, hn [T, 16], r, max,
        // sum [T], mask [T, T]
        long layer = 4L * t * 16 + 2 * t + 2L * 4 * t * 4 + 2L * 2 * t * 4 + 4L * t * t + 3L * t * 40;
        long perRow = 4 * (2 * layer + 2L * t * 16 + 3 * t + (long) t * t);
        // a task: 4 / 2 prompts x 4 completions = 8 rows in one pass
        assertEquals(8 * perRow, term(plan.perTask(), "GRPO activations").bytes());
        // decoding: 2 layers x keys and values [8 rows, 2, T, 4] (saliency.max_rows_per_pass 64 > 8 rows)
        assertEquals(2L * 2 * 8 * 2 * t * 4 * 4, term(plan.perTask(), "KV cache").bytes());
        assertEquals(params * 4, term(plan.perTask(), "gradients").bytes());
        // the driver: policy, two moments, snapshot and its blocks, two results, merged and normalised
        assertEquals((1 + 2 + 2 + 2 + 2) * params * 4, plan.driverBytes());
    }

    /**
     * Past the model's size rule (docs/design.md 2.2, "Recomputed probabilities") a kept pass holds no
     * layer's attention probabilities, and its backward one layer's at a time: at SMALL a query cell's
     * 4 x T are kept while they are at most the layer's other 4 x 16 + 2 + 2 x 16 + 2 x 8 + 3 x 40 = 234
     * numbers a cell, up to T = 58.
     */
    @Test
    void aLongRowCountsOneLayersAttentionProbabilitiesInsteadOfEveryLayers() {
        TrainConfig c = config("prompts_per_step=4", "partitions=2", "grpo.group_size=4", "sampling.max_new_tokens=20",
                "grpo.micro_batch_rows=0", "saliency.alpha=0", "saliency.metrics_when_off=false");
        for (int t : new int[] {58, 59}) {
            long linear = 4L * t * 16 + 2 * t + 2L * 4 * t * 4 + 2L * 2 * t * 4 + 3L * t * 40;
            long probs = 4L * t * t, once = 2L * t * 16 + 3 * t + (long) t * t;
            long perRow = 4 * (t == 58 ? 2 * (linear + probs) + once : 2 * linear + once + probs);
            assertEquals(8 * perRow, term(MemoryPlan.of(c, SMALL, t - 20, 1).perTask(), "GRPO activations").bytes(),
                    "T = " + t);
        }
    }

    /**
     * A LoRA run (docs/design.md 3.4): executors hold the base once (also the reference at beta > 0)
     * and adapter-sized gradients; the driver only adapter-sized tensors while it trains, and the base
     * once at the end for the saliency samples. Llama-3.2-1B at rank 16 on all seven projections has
     * 16 x 16 x ((2048 + 2048) x 2 + (2048 + 512) x 2 + (2048 + 8192) x 3) = 11,272,192 adapter params.
     */
    @Test
    void aLoraRunPlansTheBaseOnceAndAdapterSizedGradients() {
        long adapterParams = 16L * 16 * ((2048 + 2048) * 2 + (2048 + 512) * 2 + (2048 + 8192) * 3);
        assertEquals(11_272_192L, adapterParams);
        TrainConfig c = config("prompts_per_step=2", "partitions=1", "grpo.group_size=2", "sampling.max_new_tokens=64",
                "lora.rank=16", "grpo.beta=0.04", "eval.samples=0");
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_1B, 200, 1);
        long base = LlamaWeights.parameterCount(LLAMA_1B) * 4, adapters = adapterParams * 4;
        assertEquals(base, term(plan.executorShared(), "base weights").bytes());
        assertTrue(plan.executorShared().stream().noneMatch(t -> t.name().contains("reference")), "no second base");
        assertEquals(adapters, term(plan.perTask(), "gradients").bytes());
        assertEquals(adapters, term(plan.perTask(), "task result").bytes());
        // adapters, two moments, snapshot and its blocks, one partition's result, merged and normalised
        assertEquals((1 + 2 + 2 + 1 + 2) * adapters, plan.driverBytes());
        // the kept pass adds u [cells, 16] per targeted projection and layer: 7 x 16 layers x 16 floats a cell
        TrainConfig full = config("prompts_per_step=2", "partitions=1", "grpo.group_size=2", "sampling.max_new_tokens=64",
                "grpo.beta=0.04", "eval.samples=0");
        long plain = term(MemoryPlan.of(full, LLAMA_1B, 200, 1).perTask(), "GRPO activations").bytes();
        assertEquals(plain + 4L * 264 * 7 * 16 * 16 * 4, term(plan.perTask(), "GRPO activations").bytes());
        // with saliency samples the driver reads the base once at the end
        TrainConfig samples = config("prompts_per_step=2", "partitions=1", "grpo.group_size=2", "lora.rank=16",
                "eval.samples=2");
        assertEquals(base, term(MemoryPlan.of(samples, LLAMA_1B, 200, 1).driver(), "base weights (at the end)").bytes());
    }

    /**
     * weight_storage bf16 (docs/design.md 3.4, "bf16 storage"): the weights executors hold but do not
     * train count 2 bytes per matrix entry and 4 per norm entry, each task adds the fp32 scratch of the
     * largest matrix (the tied embedding, 128,256 x 2,048 for 1B), and the printed plan says bf16.
     */
    @Test
    void bf16StorageCountsTwoBytesPerMatrixEntryAndTheWideningScratch() {
        long norms = 2048L * (2 * 16 + 1);
        long matrices = LlamaWeights.parameterCount(LLAMA_1B) - norms;
        String[] lora = {"prompts_per_step=2", "partitions=1", "grpo.group_size=2", "sampling.max_new_tokens=64",
            "lora.rank=16", "grpo.beta=0.04", "eval.samples=0"};
        MemoryPlan f32 = MemoryPlan.of(config(lora), LLAMA_1B, 200, 1);
        MemoryPlan bf16 = MemoryPlan.of(config(lora).with("weight_storage", "bf16"), LLAMA_1B, 200, 1);
        assertEquals(2 * matrices + 4 * norms, term(bf16.executorShared(), "base weights").bytes());
        assertEquals("2.5 GB", MemoryPlan.bytes(term(bf16.executorShared(), "base weights").bytes()));
        assertEquals(128256L * 2048 * 4, term(bf16.perTask(), "bf16 widening scratch").bytes());
        assertTrue(f32.perTask().stream().noneMatch(t -> t.name().contains("scratch")), "f32 widens nothing");
        assertEquals(f32.driverBytes(), bf16.driverBytes(), "the driver's adapters and moments stay fp32");
        assertTrue(bf16.toText().contains("base weights 2.5 GB (bf16 matrices and fp32 norms"), bf16.toText());
        assertTrue(f32.toText().contains("base weights 4.9 GB (fp32, "), f32.toText());
        // without LoRA the policy copy and the reference are both stored so; the driver's master stays fp32
        String[] full = {"prompts_per_step=2", "partitions=1", "grpo.group_size=2", "sampling.max_new_tokens=64",
            "grpo.beta=0.04", "weight_storage=bf16"};
        MemoryPlan whole = MemoryPlan.of(config(full), LLAMA_1B, 200, 1);
        assertEquals(2 * matrices + 4 * norms, term(whole.executorShared(), "weights").bytes());
        assertEquals(2 * matrices + 4 * norms, term(whole.executorShared(), "reference weights").bytes());
        assertEquals(LlamaWeights.parameterCount(LLAMA_1B) * 4, term(whole.driver(), "policy").bytes());
        // the snapshots travel as the executors store them: policy and reference, as arrays and as blocks
        assertEquals(4 * (2 * matrices + 4 * norms), term(whole.driver(), "broadcast snapshots").bytes());
        assertEquals(2 * matrices + 4 * norms, term(whole.executorShared(), "broadcast snapshot").bytes());
        assertTrue(whole.toText().contains("serialised blocks, bf16 matrices"), whole.toText());
        MemoryPlan wholeF32 = MemoryPlan.of(config(full).with("weight_storage", "f32"), LLAMA_1B, 200, 1);
        assertEquals(4 * LlamaWeights.parameterCount(LLAMA_1B) * 4,
                term(wholeF32.driver(), "broadcast snapshots").bytes());
        // a LoRA run's snapshots are its fp32 adapters whatever the base's storage
        assertEquals(term(f32.driver(), "broadcast snapshots").bytes(), term(bf16.driver(), "broadcast snapshots").bytes());
    }

    /**
     * The worked example of docs/design.md 3.3 with LoRA rank 16 and a bf16 base: the 3B config's
     * settings at lora.rank 16, weight_storage f32 and bf16, on both shapes.
     */
    @Test
    void loraWithABf16BaseGivesTheDocumentedNumbers() {
        TrainConfig c = ConfigFiles.load("../deploy/configs/llama-3.2-3b-gsm8k.yaml").with("mode", "sync")
                .with("lora.rank", "16").with("eval.samples", "4");
        String[][] expected = {
            // shape, storage: base, executor total, driver (its fp32 base read once at the end for eval.samples)
            {"1B", "f32", "4.9 GB", "19.3 GB", "5.6 GB"}, {"1B", "bf16", "2.5 GB", "17.9 GB", "5.6 GB"},
            {"3B", "f32", "12.9 GB", "38.8 GB", "14.3 GB"}, {"3B", "bf16", "6.4 GB", "33.9 GB", "14.3 GB"}};
        for (String[] e : expected) {
            MemoryPlan plan = MemoryPlan.of(c.with("weight_storage", e[1]), e[0].equals("1B") ? LLAMA_1B : LLAMA_3B, 256, 1);
            System.out.printf("%s %s: base %s, executor %s, driver %s%n%s", e[0], e[1],
                    MemoryPlan.bytes(term(plan.executorShared(), "base weights").bytes()),
                    MemoryPlan.bytes(plan.executorBytes()), MemoryPlan.bytes(plan.driverBytes()), plan.toText());
            assertEquals(e[2], MemoryPlan.bytes(term(plan.executorShared(), "base weights").bytes()), e[0] + " " + e[1]);
            assertEquals(e[3], MemoryPlan.bytes(plan.executorBytes()), e[0] + " " + e[1]);
            assertEquals(e[4], MemoryPlan.bytes(plan.driverBytes()), e[0] + " " + e[1]);
        }
    }

    /**
     * The demo's AtManRL run (DemoCommand's settings; the longest prompt 21 tokens + 48 new, 2 tasks at
     * once), measured 2026-12-03 by `train` under local[*] on 2 cores with -Xmx 8g: peak RSS 1.545 GB
     * (docs/design.md 3.3). The terms alone, all the plan had, were 65% under it; with the JVM's own
     * memory the estimate is within 25%.
     */
    @Test
    void residentEstimateOfTheEmbeddedDemoRunIsWithinAQuarterOfItsMeasuredPeak() {
        TrainConfig c = config("steps=40", "prompts_per_step=16", "partitions=2", "data.task=arithmetic-hint",
                "saliency.alpha=1", "saliency.reward_form=n", "saliency.steps=0");
        MemoryPlan plan = MemoryPlan.of(c, EmbeddedModel.config(), 21, 2);
        assertEquals(69, plan.cells());
        long measured = 1_545_000_000L;
        long terms = plan.driverBytes() + plan.executorBytes();
        assertEquals("540 MB", MemoryPlan.bytes(terms));
        assertTrue(terms < 0.4 * measured, MemoryPlan.bytes(terms));
        long estimate = plan.residentEstimate(true, 8L << 30);
        assertEquals(terms + MemoryPlan.JVM_OUTSIDE_HEAP + MemoryPlan.HEAP_RUNTIME, estimate);
        assertTrue(Math.abs(estimate - measured) <= 0.25 * measured, MemoryPlan.bytes(estimate));
        // a heap limit just above the heap terms leaves the runtime only what is left of it
        long heapTerms = plan.driverBytes(MemoryPlan.Place.HEAP) + plan.executorBytes(MemoryPlan.Place.HEAP);
        assertEquals(terms + MemoryPlan.JVM_OUTSIDE_HEAP + 100_000_000L,
                plan.residentEstimate(true, heapTerms + 100_000_000L));
        // on a cluster the driver's JVM counts the driver's terms only, an executor's its own
        assertEquals(plan.driverBytes() + MemoryPlan.JVM_OUTSIDE_HEAP + MemoryPlan.HEAP_RUNTIME,
                plan.residentEstimate(false, 8L << 30));
        assertEquals(plan.executorBytes() + MemoryPlan.JVM_OUTSIDE_HEAP + MemoryPlan.HEAP_RUNTIME,
                plan.executorResidentEstimate(0));
        assertEquals("resident estimate of this JVM: 1.7 GB (local Spark, the driver's and the executor's terms 540 MB,"
                + " and the JVM's own 1.2 GB: outside the heap, and heap for Spark, the data and garbage)\n",
                plan.residentText(true, 8L << 30));
    }

    @Test
    void halvingMicroBatchRowsHalvesTheActivations() {
        TrainConfig c = config("prompts_per_step=4", "partitions=1", "grpo.group_size=8", "grpo.micro_batch_rows=8",
                "saliency.max_rows_per_pass=2");
        long at8 = term(MemoryPlan.of(c, SMALL, 10, 1).perTask(), "GRPO activations").bytes();
        long at4 = term(MemoryPlan.of(c.with("grpo.micro_batch_rows", "4"), SMALL, 10, 1).perTask(),
                "GRPO activations").bytes();
        assertEquals(at8, 2 * at4);
    }

    @Test
    void aPlanOverTheLimitIsRefusedInOneLineNamingTheSetting() {
        TrainConfig c = config("prompts_per_step=32", "partitions=8", "grpo.group_size=8", "sampling.max_new_tokens=512",
                "grpo.micro_batch_rows=0", "saliency.max_rows_per_pass=4");
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_3B, 256, 1);
        MemoryLimits cluster = MemoryLimits.of(Map.of("spark.master", "yarn", "spark.executor.memory", "96g"), 8,
                1000 * GB, 0, 2);
        UserInputException e = assertThrows(UserInputException.class, () -> plan.check(cluster));
        // docs/design.md 3.3 quotes this line
        assertEquals("memory plan: an executor needs 249.5 GB but spark.executor.memory + spark.executor.memoryOverhead"
                + " allows 113.4 GB; the largest term is GRPO activations 175.4 GB: lower grpo.micro_batch_rows or raise"
                + " spark.executor.memory", e.getMessage());
        // 4 rows per pass fit in 96g + overhead; the driver's 1000 GB heap holds its copies
        MemoryPlan.of(c.with("grpo.micro_batch_rows", "4"), LLAMA_3B, 256, 1).check(cluster);
        // the driver's heap holds the P task results: the key to lower is partitions, not an executor's
        MemoryLimits smallDriver = MemoryLimits.of(Map.of("spark.master", "yarn"), 8, 96L << 30, 0, 2);
        UserInputException d = assertThrows(UserInputException.class, () -> plan.check(smallDriver));
        assertTrue(d.getMessage().startsWith("memory plan: the driver heap needs 154.2 GB"), d.getMessage());
        assertTrue(d.getMessage().endsWith("task results 102.8 GB: lower partitions or raise spark.driver.memory"),
                d.getMessage());
        // locally the heap bounds driver and executor together
        MemoryLimits local = MemoryLimits.of(Map.of("spark.master", "local[2]"), 8, 8L << 30, 8L << 30, 2);
        UserInputException l = assertThrows(UserInputException.class,
                () -> MemoryPlan.of(c, LLAMA_3B, 256, local.tasksPerExecutor()).check(local));
        assertTrue(l.getMessage().contains("raise ATMANRL_HEAP"), l.getMessage());
        assertEquals(2, local.tasksPerExecutor());
    }

    @Test
    void aGivenGpuMemoryBoundsTheExecutorsDeviceArrays() {
        TrainConfig c = config("prompts_per_step=32", "partitions=8", "grpo.group_size=8", "sampling.max_new_tokens=512",
                "grpo.micro_batch_rows=4", "saliency.max_rows_per_pass=4");
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_3B, 256, 1);
        Map<String, String> yarn = Map.of("spark.master", "yarn", "spark.executor.memory", "96g");
        plan.check(MemoryLimits.of(yarn, 8, 1000 * GB, 0, 2)); // fits the container, and no GPU is named
        long offHeap = plan.executorPeakTerms().stream().filter(t -> t.place() == MemoryPlan.Place.OFF_HEAP)
                .mapToLong(MemoryPlan.Term::bytes).sum();
        Map<String, String> a100 = new java.util.HashMap<>(yarn);
        a100.put(MemoryLimits.GPU_MEMORY, (offHeap >> 20) + 1 + "m");
        plan.check(MemoryLimits.of(a100, 8, 1000 * GB, 0, 2));
        Map<String, String> small = new java.util.HashMap<>(yarn);
        small.put(MemoryLimits.GPU_MEMORY, (offHeap >> 20) - 1 + "m");
        UserInputException e = assertThrows(UserInputException.class,
                () -> plan.check(MemoryLimits.of(small, 8, 1000 * GB, 0, 2)));
        assertTrue(e.getMessage().startsWith("memory plan: an executor's GPU needs "), e.getMessage());
        assertTrue(e.getMessage().endsWith("or raise " + MemoryLimits.GPU_MEMORY), e.getMessage());
        // locally the driver's arrays share the device
        Map<String, String> local = Map.of("spark.master", "local[1]", MemoryLimits.GPU_MEMORY, (offHeap >> 20) + 1 + "m");
        assertTrue(assertThrows(UserInputException.class, () -> plan.check(MemoryLimits.of(local, 8, 1000 * GB, 0, 2)))
                .getMessage().startsWith("memory plan: the driver and executor GPU needs "));
        UserInputException bad = assertThrows(UserInputException.class,
                () -> MemoryLimits.of(Map.of("spark.master", "yarn", MemoryLimits.GPU_MEMORY, "lots"), 8, GB, 0, 2));
        assertEquals(MemoryLimits.GPU_MEMORY + " is 'lots'; expected a size such as 80g or 24576m", bad.getMessage());
    }

    /** docs/design.md 3.3's worked example: the 3B config's settings in sync mode. */
    @Test
    void theLlama3bConfigGivesTheDocumentedNumbers() {
        TrainConfig c = ConfigFiles.load("../deploy/configs/llama-3.2-3b-gsm8k.yaml").with("mode", "sync");
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_3B, 256, 1);
        assertEquals(3_212_749_824L, plan.parameters());
        assertEquals(768, plan.cells());
        assertEquals("12.9 GB", MemoryPlan.bytes(term(plan.executorShared(), "weights").bytes()));
        assertEquals("21.9 GB", MemoryPlan.bytes(term(plan.perTask(), "GRPO activations").bytes()));
        assertEquals("25.7 GB", MemoryPlan.bytes(term(plan.perTask(), "gradients").bytes()));
        assertEquals("705 MB", MemoryPlan.bytes(term(plan.perTask(), "KV cache").bytes()));
        assertEquals("21.9 GB", MemoryPlan.bytes(term(plan.perTask(), "mask-fit activations").bytes()));
        assertEquals("63.9 GB", MemoryPlan.bytes(plan.executorBytes(MemoryPlan.Place.OFF_HEAP)));
        assertEquals("89.6 GB", MemoryPlan.bytes(plan.executorBytes()));
        assertEquals("192.8 GB", MemoryPlan.bytes(plan.driverBytes()));
    }

    @Test
    void llama1bAtThe3bConfigsSettingsGivesTheDocumentedNumbers() {
        TrainConfig c = ConfigFiles.load("../deploy/configs/llama-3.2-3b-gsm8k.yaml").with("mode", "sync");
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_1B, 256, 1);
        assertEquals(1_235_814_400L, plan.parameters());
        assertEquals("4.9 GB", MemoryPlan.bytes(term(plan.executorShared(), "weights").bytes()));
        assertEquals("12.3 GB", MemoryPlan.bytes(term(plan.perTask(), "GRPO activations").bytes()));
        assertEquals("201 MB", MemoryPlan.bytes(term(plan.perTask(), "KV cache").bytes()));
        assertEquals("38.8 GB", MemoryPlan.bytes(plan.executorBytes()));
        assertEquals("74.1 GB", MemoryPlan.bytes(plan.driverBytes()));
    }

    /** The numbers deploy/configs/llama-3.2-3b-mmlu.yaml's comments quote, in barrier mode and in sync mode. */
    @Test
    void theMmluConfigGivesTheNumbersItsCommentsQuote() {
        TrainConfig c = ConfigFiles.load("../deploy/configs/llama-3.2-3b-mmlu.yaml");
        assertEquals(TrainingMode.BARRIER, c.mode());
        MemoryPlan barrier = MemoryPlan.of(c, LLAMA_3B, 256, 1);
        System.out.print(barrier.toText());
        assertEquals("19.8 GB", MemoryPlan.bytes(term(barrier.perTask(), "GRPO activations").bytes()));
        assertEquals("68.9 GB", MemoryPlan.bytes(barrier.executorBytes(MemoryPlan.Place.OFF_HEAP)));
        assertEquals("96.2 GB", MemoryPlan.bytes(barrier.executorBytes()));
        submitDefaultsHold(barrier);
        assertEquals(0, barrier.driverBytes());
        MemoryPlan plan = MemoryPlan.of(c.with("mode", "sync"), LLAMA_3B, 256, 1);
        assertEquals(512, plan.cells());
        assertEquals("19.8 GB", MemoryPlan.bytes(term(plan.perTask(), "GRPO activations").bytes()));
        assertEquals("705 MB", MemoryPlan.bytes(term(plan.perTask(), "KV cache").bytes()));
        assertEquals("61.5 GB", MemoryPlan.bytes(plan.executorBytes(MemoryPlan.Place.OFF_HEAP)));
        assertEquals("87.2 GB", MemoryPlan.bytes(plan.executorBytes()));
    }

    /**
     * Barrier mode (docs/design.md 3.3): every term of a rank by hand for SMALL at P = 2. Its tensors
     * in order: the embedding 1,600; per layer the norm 16, q 256, k 128, v 128, o 256, the norm 16,
     * gate, up, down 640 each (2,720); the final norm 16; the head 1,600: 8,656 in all. A tensor goes
     * to the shard its midpoint falls in: layer 0 ends at 4,320 and layer 1's first norm's midpoint
     * is 4,328, exactly half, so shard 0 holds 4,320 values and shard 1 the other 4,336 (largest
     * tensor of each: 1,600). The driver holds no model.
     */
    @Test
    void aBarrierRankCountsItsReplicaItsShardAndTheCollectivesBuffers() {
        long params = 8656, copy = 4 * params, shard = 4 * 4336, tensor = 4 * 1600;
        TrainConfig c = config("prompts_per_step=4", "partitions=2", "grpo.group_size=4", "sampling.max_new_tokens=20",
                "grpo.micro_batch_rows=0", "saliency.alpha=0", "saliency.metrics_when_off=false", "eval.size=0",
                "eval.samples=0", "mode=barrier");
        MemoryPlan plan = MemoryPlan.of(c, SMALL, 12, 2);
        MemoryPlan sync = MemoryPlan.of(c.with("mode", "sync"), SMALL, 12, 2);
        assertEquals(params, plan.parameters());
        assertTrue(plan.barrier() && plan.executorShared().isEmpty() && plan.driver().isEmpty(), plan.toText());
        assertEquals(0, plan.driverBytes());
        assertEquals(copy, term(plan.perTask(), "replica").bytes());
        assertEquals(copy, term(plan.perTask(), "gradients").bytes()); // one pass: micro_batch_rows 0
        assertEquals(copy, term(plan.perTask(), "task result").bytes());
        assertEquals(2 * shard, term(plan.perTask(), "AdamW moments").bytes());
        assertEquals(2 * 65536, term(plan.perTask(), "frame buffers").bytes()); // shards under the 64 KiB floor
        // off-heap: the pass (as in sync mode), whose reused buffers and their slack stay, and besides
        // them the largest phase: the KV cache, the AdamW step, a gathered tensor's copy
        long activations = term(sync.perTask(), "GRPO activations").bytes();
        assertEquals(activations, term(plan.perTask(), "GRPO activations").bytes());
        long slack = 64L << 20; // the floor: an eighth of this small pass is less
        assertTrue(activations / 8 < slack, MemoryPlan.bytes(activations));
        assertEquals(slack, term(plan.perTask(), "reused-buffer slack").bytes());
        assertEquals(shard + 2 * tensor, term(plan.perTask(), "AdamW step").bytes());
        assertEquals(tensor, term(plan.perTask(), "all-gather copy").bytes());
        // heap phases: P received copies and their sum; the others' shards with the sum and its normalised copy
        assertEquals(2 * shard, term(plan.perTask(), "reduce-scatter buffers").bytes());
        assertEquals(copy - shard + 2 * shard, term(plan.perTask(), "all-gather buffers").bytes());
        assertEquals(2 * shard, term(plan.perTask(), "checkpoint moments").bytes());
        long offHeapPhase = Math.max(term(plan.perTask(), "KV cache").bytes(), shard + 2 * tensor);
        long perRank = copy + copy + 2 * shard + 2 * 65536 + activations + slack + offHeapPhase + copy + (copy + shard);
        assertEquals(2 * perRank, plan.executorBytes()); // two ranks in this executor, each with its replica
        assertTrue(plan.toText().contains("driver: the run's control only"), plan.toText());
    }

    /**
     * The Llama-3.2-3B shape at the 3B config's settings in barrier mode, P = 8 (docs/design.md 3.3):
     * the embedding (394,002,432 values) with layer 0's first norm and q (3,072 + 9,437,184) is the
     * largest shard, 403,442,688 values (k's midpoint, 405,015,552, is past T/P = 401,593,728); the
     * largest AdamW step is that shard's with two arrays of the embedding.
     */
    @Test
    void theLlama3bShapeInBarrierModeHoldsAReplicaAndAnEighthOfTheMoments() {
        TrainConfig c = ConfigFiles.load("../deploy/configs/llama-3.2-3b-gsm8k.yaml");
        assertEquals(TrainingMode.BARRIER, c.mode());
        MemoryPlan plan = MemoryPlan.of(c, LLAMA_3B, 256, 1);
        long copy = 4 * 3_212_749_824L, shard = 4 * 403_442_688L, embedding = 4 * 394_002_432L;
        assertEquals(copy, term(plan.perTask(), "replica").bytes());
        assertEquals(2 * copy, term(plan.perTask(), "gradients").bytes()); // 32 rows in passes of 4
        assertEquals(2 * shard, term(plan.perTask(), "AdamW moments").bytes());
        assertEquals(2L * (16 << 20), term(plan.perTask(), "frame buffers").bytes());
        assertEquals(shard + 2 * embedding, term(plan.perTask(), "AdamW step").bytes());
        assertEquals(8 * shard, term(plan.perTask(), "reduce-scatter buffers").bytes());
        assertEquals(copy + shard, term(plan.perTask(), "all-gather buffers").bytes());
        long activations = term(plan.perTask(), "GRPO activations").bytes();
        assertEquals("21.9 GB", MemoryPlan.bytes(activations));
        assertEquals(activations / 8, term(plan.perTask(), "reused-buffer slack").bytes());
        // the pass's reused buffers stay through the AdamW step, the largest phase besides them
        assertEquals(copy + 2 * copy + 2 * shard + 2L * (16 << 20) + activations + activations / 8
                + shard + 2 * embedding, plan.executorBytes(MemoryPlan.Place.OFF_HEAP));
        assertEquals(copy + copy + shard, plan.executorBytes(MemoryPlan.Place.HEAP));
        assertEquals(0, plan.driverBytes());
        System.out.print(plan.toText());
        assertEquals("71.3 GB", MemoryPlan.bytes(plan.executorBytes(MemoryPlan.Place.OFF_HEAP)));
        assertEquals("98.6 GB", MemoryPlan.bytes(plan.executorBytes()));
        submitDefaultsHold(plan);
        // over the executor's limit the refusal names a key that lowers a term, never the shard's terms
        MemoryPlan onePass = MemoryPlan.of(c.with("grpo.micro_batch_rows", "0"), LLAMA_3B, 256, 1);
        UserInputException e = assertThrows(UserInputException.class, () -> onePass.check(MemoryLimits.of(
                Map.of("spark.master", "yarn", "spark.executor.memory", "64g", "spark.executor.memoryOverhead", "32g"),
                8, 2L << 30, 0, 2)));
        assertTrue(e.getMessage().startsWith("memory plan: an executor needs ") && e.getMessage().endsWith(
                "the largest term is GRPO activations 175.4 GB: lower grpo.micro_batch_rows or raise spark.executor.memory"),
                e.getMessage());
    }

    /**
     * What the 3B configs' comments say of a barrier plan: the submit scripts' executors (64g heap,
     * 32g overhead) hold a rank with the JVM's own memory, its off-heap terms fit an 80 GB GPU, and a
     * 2 GB driver heap passes (the driver has no terms).
     */
    private static void submitDefaultsHold(MemoryPlan plan) {
        Map<String, String> spark = Map.of("spark.master", "yarn", "spark.executor.memory", "64g",
                "spark.executor.memoryOverhead", "32g", MemoryLimits.GPU_MEMORY, "80g");
        plan.check(MemoryLimits.of(spark, 8, 2L << 30, 0, 2));
        assertTrue(plan.executorResidentEstimate(64L << 30) <= 96L << 30, MemoryPlan.bytes(plan.executorBytes()));
        assertTrue(plan.executorBytes(MemoryPlan.Place.HEAP) + MemoryPlan.HEAP_RUNTIME <= 64L << 30);
    }

    /**
     * Issue 16's model whose fp32 gradient is over 2 GiB: vocab 262,144 x hidden 2,048 tied (536,870,912
     * values), one small layer. With a 1 GB driver heap on a cluster, sync mode is refused in one line
     * naming spark.driver.memory; barrier mode's driver holds nothing of the model and passes.
     */
    @Test
    void aModelWithAGradientOver2GiBIsRefusedInSyncModeAndAcceptedInBarrierModeOnA1GbDriver() {
        LlamaConfig big = LlamaConfig.of(262144, 2048, 64, 1, 16, 8, 8, null, true);
        assertEquals(538_056_704L, LlamaWeights.parameterCount(big));
        assertTrue(LlamaWeights.parameterCount(big) * 4 > (2L << 30));
        TrainConfig c = config("prompts_per_step=2", "partitions=2", "grpo.group_size=2", "sampling.max_new_tokens=8",
                "saliency.alpha=0", "saliency.metrics_when_off=false", "eval.size=0", "eval.samples=0");
        MemoryLimits cluster = MemoryLimits.of(Map.of("spark.master", "spark://127.0.0.1:7077"), 2, 1L << 30, 0, 2);
        UserInputException e = assertThrows(UserInputException.class,
                () -> MemoryPlan.of(c, big, 16, cluster.tasksPerExecutor()).check(cluster));
        assertEquals("memory plan: the driver heap needs 12.9 GB but the JVM's heap (-Xmx) allows 1.1 GB; the largest"
                + " term is task results 4.3 GB: lower partitions or raise spark.driver.memory", e.getMessage());
        MemoryPlan barrier = MemoryPlan.of(c.with("mode", "barrier"), big, 16, cluster.tasksPerExecutor());
        System.out.print(barrier.toText()); // a rank's needs: why the loopback run of this model needs more than 24 GB
        barrier.check(cluster);
        assertEquals(0, barrier.driverBytes());
    }
}
