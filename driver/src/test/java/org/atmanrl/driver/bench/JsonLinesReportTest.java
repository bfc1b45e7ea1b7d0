package org.atmanrl.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonLinesReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void trainStepLineCarriesRatesAndEveryRun() throws Exception {
        Measurement gemm = Measurement.gemm(2048, new Timings(List.of(0.1)));
        Measurement step = Measurement.grid(BenchShape.TINY, Measurement.TRAIN_STEP, 4e10,
                new Timings(List.of(2.0, 1.0, 3.0)));
        JsonNode o = JSON.readTree(line(step, gemm));
        assertEquals("tiny", o.get("config").asText());
        assertEquals("train_step", o.get("metric").asText());
        assertEquals(16, o.get("batch").asInt());
        assertEquals(256, o.get("seq").asInt());
        assertEquals(4096 / 2.0, o.get("tokens_per_s").asDouble(), 1e-9);
        assertEquals(20.0, o.get("gflops").asDouble(), 1e-9);
        assertEquals(20.0 / (Flops.gemm(2048) / 0.1 / 1e9), o.get("ratio_to_gemm").asDouble(), 1e-4);
        assertEquals(2.0, o.get("seconds_median").asDouble());
        assertEquals(1.0, o.get("seconds_min").asDouble());
        assertEquals(3.0, o.get("seconds_max").asDouble());
        assertEquals(3, o.get("seconds_all").size());
        assertEquals(1.0, o.get("seconds_all").get(1).asDouble());
    }

    @Test
    void decodeLineHasNoFlops() throws Exception {
        Measurement gemm = Measurement.gemm(2048, new Timings(List.of(0.1)));
        Measurement decode = Measurement.decode(BenchShape.TINY, 32, 32, 128, new Timings(List.of(4.0)));
        JsonNode o = JSON.readTree(line(decode, gemm));
        assertEquals(1024.0, o.get("tokens_per_s").asDouble(), 1e-9);
        assertEquals(32, o.get("batch").asInt());
        assertEquals(128, o.get("new_tokens").asInt());
        assertFalse(o.has("gflops"));
        assertFalse(o.has("ratio_to_gemm"));
    }

    @Test
    void maskFitLineCarriesItsShapeAndTheSpeedUp() throws Exception {
        Measurement gemm = Measurement.gemm(2048, new Timings(List.of(0.1)));
        Measurement fit = Measurement.maskFit(BenchShape.TINY, Measurement.MASK_FIT_PREFIX, new int[] {300, 292}, 100,
                80, 8, java.util.Map.of("speedup", 2.5), new Timings(List.of(1.0)));
        assertEquals("2 x (292-300 + 100), K 8", fit.shape());
        JsonNode o = JSON.readTree(line(fit, gemm));
        assertEquals("mask_fit_prefix", o.get("metric").asText());
        assertEquals(292, o.get("prompt_tokens").get(1).asInt());
        assertEquals(80, o.get("cot_tokens").asInt());
        assertEquals(2.5, o.get("speedup").asDouble());
        assertFalse(o.has("tokens_per_s"));
    }

    private static String line(Measurement m, Measurement gemm) {
        StringWriter s = new StringWriter();
        new JsonLinesReport(new PrintWriter(s)).measurement(m, gemm);
        List<String> lines = s.toString().lines().toList();
        assertEquals(1, lines.size());
        return lines.get(0);
    }
}
