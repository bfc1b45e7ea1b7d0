package org.atmanrl.driver.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code atmanrl bench}: how fast the model trains, scores and samples on this machine. */
@Command(name = "bench",
        sortOptions = false,
        description = {
            "Measures how fast the model trains, scores and samples on this machine.",
            "",
            "It measures in fp32, warm, the median of several runs, on two configs:",
            "  tiny  vocab 512, hidden 256, intermediate 768, 4 layers, 8 heads, 4 kv heads;",
            "        batch 16 x seq 256",
            "  mid   vocab 8192, hidden 1024, intermediate 2816, 8 layers, 16 heads,",
            "        4 kv heads; batch 4 x seq 512",
            "Per config it measures:",
            "  train_step  forward + backward of all weights, loss on every cell, no",
            "              optimizer: tokens/s, GFLOP/s and their ratio to the GEMM's",
            "  forward     log-probabilities only: tokens/s, GFLOP/s",
            "  decode      KV-cached sampling at batch 1 and 32, 32-token prompts, 128 new",
            "              tokens: generated tokens / wall time, prefill included",
            "  *_bf16      (with --bf16) train_step, forward and decode with the same",
            "              weights stored in bf16, alternating with fp32 run by run",
            "  *_no_pool   (with --no-pool) the same three with every array allocated",
            "              afresh instead of reused, alternating with the pooled runs",
            "  load_bf16   (with --io) load the weights saved as a BF16 safetensors",
            "              directory to fp32: MB/s and peak Java heap",
            "  mask_fit_*  (with --mask-fit) one saliency mask fit (K = 8, then the three",
            "              likelihoods) on 4 GSM8K-length rows (292-308 prompt tokens, a",
            "              100-token completion with an 80-token CoT), with every pass over",
            "              the whole rows (full) and with the prompt computed once (prefix),",
            "              alternating run by run: seconds and the speed-up; and the mask",
            "              network's scoring of the same rows with its head's gradient",
            "              (mask_network): seconds and its speed-up over the prefix fit",
            "Once per invocation, with --task-step, on the shipped starting model:",
            "  task_step_* a demo-config training step's 2 tasks side by side, as local",
            "              Spark runs them (8 hinted prompts x G 8 each, half the cores",
            "              each, r_sal = N, alpha 1; run last) with the mask network",
            "              (network: saliency.head_rows 32 a step; network_all: every correct",
            "              completion trains the head) and with the three",
            "              log-likelihoods alone (fitted_k0), alternating run by run:",
            "              seconds and the share of saliency in the task",
            "Once per invocation it measures:",
            "  gemm        Nd4j.gemm on 2048 x 2048 fp32 matrices, at least 1 warm-up",
            "              and 5 runs (a cold or single figure would skew every ratio)",
            "",
            "Results go to stdout, progress lines to stderr.",
            ""},
        footer = {
            "",
            "FLOPs of a training step over a B x T grid: 6*P*B*T + 12*L*B*T^2*H*hd",
            "  P   parameters in matrix products: LM head included, embedding excluded",
            "  L   layers, H query heads, hd head dim",
            "The attention term counts the full T x T score matrices: the model computes",
            "them in full and adds the causal mask. A forward pass is 1/3 of a step.",
            ""})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "tiny|mid|all", defaultValue = "all",
            converter = ShapeSelection.Converter.class,
            description = "Measure the tiny config, the mid one or all (default: ${DEFAULT-VALUE}).")
    private ShapeSelection selection;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "5",
            description = "Measure each figure N times and report the median (default: ${DEFAULT-VALUE}).")
    private int repeats;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "Run N untimed warm-ups before each figure's runs (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--quick",
            description = "Decode " + BenchPlan.QUICK_DECODE_NEW_TOKENS + " new tokens instead of "
                    + BenchPlan.DECODE_NEW_TOKENS + ", as a smoke test (e.g. in CI).")
    private boolean quick;

    @Option(names = "--autodiff",
            description = "Also time one decoder layer's training step with SameDiff's automatic"
                    + " differentiation against the model's hand-written backward (why the model has one).")
    private boolean autodiff;

    @Option(names = "--io",
            description = "Also save each config's weights as a BF16 safetensors model directory in a"
                    + " temporary folder and time loading it to fp32, with the peak Java heap during the load.")
    private boolean io;

    @Option(names = "--bf16",
            description = "Time the training step, the forward pass and decoding also with the same weights"
                    + " stored in bf16 and computed in fp32 (weight_storage bf16, docs/design.md 3.4), alternating"
                    + " with the fp32 runs run by run, as metrics ending in _bf16.")
    private boolean bf16;

    @Option(names = "--no-pool",
            description = "Time the training step, the forward pass and decoding also with the passes' buffers"
                    + " allocated afresh instead of reused (docs/design.md 6.1, \"Reused buffers\"), alternating"
                    + " run by run, as metrics ending in _no_pool.")
    private boolean noPool;

    @Option(names = "--mask-fit",
            description = "Also time one saliency mask fit on GSM8K-length rows with and without computing the"
                    + " prompt once (prefix reuse), and the mask network's scoring of the same rows, and report"
                    + " the speed-ups.")
    private boolean maskFit;

    @Option(names = "--task-step",
            description = "Also time the tasks of one demo-config training step with each mask source and report"
                    + " the share of saliency in them (docs/design.md 2.6).")
    private boolean taskStep;

    @Option(names = "--micro-batch",
            description = "Also run one task's GRPO gradient at several grpo.micro_batch_rows and report its peak"
                    + " resident memory and Java heap (Linux; docs/design.md 6.1).")
    private boolean microBatch;

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() {
        if (repeats < 1) {
            throw new ParameterException(spec.commandLine(), "--repeats must be at least 1, got " + repeats);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progress = spec.commandLine().getErr();
        RepeatedRun modelRuns = new RepeatedRun(warmup, repeats, progress);
        BenchPlan plan = new BenchPlan(selection.shapes(), modelRuns, modelRuns.atLeast(GemmReference.MIN_WARMUP, GemmReference.MIN_REPEATS),
                BenchPlan.DECODE_BATCHES, quick ? BenchPlan.QUICK_DECODE_NEW_TOKENS : BenchPlan.DECODE_NEW_TOKENS);
        BenchReport report = json ? new JsonLinesReport(out) : new TableReport(out);
        if (bf16 && noPool) {
            throw new ParameterException(spec.commandLine(), "--bf16 and --no-pool each alternate with the plain runs;"
                    + " give one of them");
        }
        if (microBatch && !ResidentPeak.available()) {
            throw new ParameterException(spec.commandLine(), "--micro-batch needs Linux's /proc/self/clear_refs");
        }
        run(plan, report, progress, autodiff, io, maskFit, taskStep, microBatch, bf16, noPool);
        return 0;
    }

    private static java.nio.file.Path scratch() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("atmanrl-bench-io");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("bench: cannot make a temporary folder: " + e.getMessage(), e);
        }
    }

    private static void run(BenchPlan plan, BenchReport report, PrintWriter progress, boolean autodiff,
                            boolean io, boolean maskFit, boolean taskStep, boolean microBatch, boolean bf16,
                            boolean noPool) {
        report.header(BenchEnvironment.capture(), plan);
        Measurement gemm = GemmReference.measure(plan.gemmRuns());
        report.measurement(gemm, gemm);
        for (BenchShape shape : plan.shapes()) {
            progress.println("bench: " + shape.label() + " making random weights");
            try (ModelBench bench = new ModelBench(shape)) {
                if (bf16 || noPool) {
                    List<Measurement> both = bf16
                            ? bench.againstBf16(plan.modelRuns(), plan.decodeBatches(), plan.decodeNewTokens())
                            : bench.againstNoPool(plan.modelRuns(), plan.decodeBatches(), plan.decodeNewTokens());
                    for (Measurement m : both) {
                        report.measurement(m, gemm);
                    }
                } else {
                    report.measurement(bench.trainingStep(plan.modelRuns()), gemm);
                    report.measurement(bench.forward(plan.modelRuns()), gemm);
                    for (int batch : plan.decodeBatches()) {
                        report.measurement(bench.decode(plan.modelRuns(), batch, plan.decodeNewTokens()), gemm);
                    }
                }
                if (io) {
                    report.measurement(bench.load(plan.modelRuns(), scratch()), gemm);
                }
                if (maskFit) {
                    for (Measurement m : bench.maskFit(plan.modelRuns())) {
                        report.measurement(m, gemm);
                    }
                }
                if (microBatch) {
                    for (Measurement m : bench.grpoGradientMemory(plan.modelRuns())) {
                        report.measurement(m, gemm);
                    }
                }
            }
            if (autodiff) {
                for (Measurement m : AutodiffComparison.measure(shape, plan.modelRuns())) {
                    report.measurement(m, gemm);
                }
            }
        }
        if (taskStep) {
            progress.println("bench: demo task step, writing the shipped starting model");
            try {
                for (Measurement m : TaskStepBench.measure(plan.modelRuns(), scratch())) {
                    report.measurement(m, gemm);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("bench --task-step: " + e.getMessage(), e);
            }
        }
        report.finish();
    }
}
