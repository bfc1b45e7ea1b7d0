package org.atmanrl.driver.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One JSON object per line: an {@code "env"} line, then one per measurement. Every line has a
 * {@code metric} field, so {@code jq 'select(.metric == "train_step")'} picks what it wants.
 */
final class JsonLinesReport implements BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintWriter out;

    JsonLinesReport(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void header(BenchEnvironment env, BenchPlan plan) {
        ObjectNode o = JSON.createObjectNode();
        o.put("metric", "env");
        o.put("atmanrl_version", env.atmanrlVersion());
        o.put("java_version", env.javaVersion());
        o.put("nd4j_version", env.nd4jVersion());
        o.put("nd4j_backend", env.backend());
        o.put("nd4j_executioner", env.executioner());
        o.put("cores", env.cores());
        o.put("load_average", round(env.loadAverage(), 2));
        putAll(o.putObject("nd4j_environment"), env.nd4jInfo());
        o.put("dtype", "float32");
        o.put("warmup", plan.modelRuns().warmup());
        o.put("repeats", plan.modelRuns().repeats());
        o.put("gemm_warmup", plan.gemmRuns().warmup());
        o.put("gemm_repeats", plan.gemmRuns().repeats());
        ArrayNode configs = o.putArray("configs");
        plan.shapes().forEach(s -> configs.add(s.describe()));
        o.put("flop_formula", Flops.FORMULA);
        emit(o);
    }

    @Override
    public void measurement(Measurement m, Measurement gemm) {
        ObjectNode o = JSON.createObjectNode();
        if (m.config() != null) {
            o.put("config", m.config());
        }
        o.put("metric", m.metric());
        putAll(o, m.details());
        if (m.tokensPerRun() > 0) {
            o.put("tokens", m.tokensPerRun());
        }
        if (m.flopsPerRun() > 0) {
            o.put("flop", Math.round(m.flopsPerRun()));
        }
        put(o, "tokens_per_s", m.tokensPerSecond(), 1);
        put(o, "gflops", m.gflops(), 2);
        put(o, "ratio_to_gemm", m.ratioTo(gemm), 4);
        o.put("seconds_median", round(m.timings().median(), 6));
        o.put("seconds_min", round(m.timings().min(), 6)).put("seconds_max", round(m.timings().max(), 6));
        ArrayNode all = o.putArray("seconds_all");
        m.timings().seconds().forEach(s -> all.add(round(s, 6)));
        emit(o);
    }

    @Override
    public void finish() {
        out.flush();
    }

    private void emit(ObjectNode o) {
        try {
            out.println(JSON.writeValueAsString(o));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        out.flush();
    }

    private static void putAll(ObjectNode o, Map<String, Object> values) {
        values.forEach((k, v) -> o.set(k, JSON.valueToTree(v)));
    }

    private static void put(ObjectNode o, String field, OptionalDouble v, int decimals) {
        if (v.isPresent()) {
            o.put(field, round(v.getAsDouble(), decimals));
        }
    }

    /** Timer noise is far above these digits; fewer of them keep the lines readable. */
    private static double round(double v, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(v * scale) / scale;
    }
}
