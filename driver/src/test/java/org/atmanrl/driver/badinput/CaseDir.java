package org.atmanrl.driver.badinput;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.atmanrl.model.io.ModelDirectory;

/**
 * One bad-input case's directory and the inputs it writes there: data files, config files, a
 * corrupted copy of the tiny model, a previous run. {@link #snapshot} fingerprints everything in it,
 * so a case can show that the command wrote and changed nothing.
 */
record CaseDir(Path dir, Path model) {
    /** A well-formed GSM8K row, an MMLU row, and a question longer than the tiny model's 256 positions. */
    static final String GSM8K = "{\"question\": \"What is 2+3?\", \"answer\": \"2+3=5\\n#### 5\"}",
            MMLU = "{\"subject\": \"math\", \"question\": \"What is 2+3?\", \"choices\": [\"4\", \"5\", \"6\", \"7\"],"
                    + " \"answer\": \"B\"}",
            LONG_QUESTION = "What is " + "1+".repeat(150) + "1?";

    String path(String name) {
        return dir.resolve(name).toString();
    }

    /** The run directory the configs name. */
    String run() {
        return path("run");
    }

    /** A text file of these lines, UTF-8. */
    String file(String name, String... lines) throws Exception {
        Files.writeString(dir.resolve(name), lines.length == 0 ? "" : String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8);
        return path(name);
    }

    String bytes(String name, byte[] content) throws Exception {
        Files.write(dir.resolve(name), content);
        return path(name);
    }

    /** A GSM8K data file: good rows around {@code bad} (a line in Latin-1 when {@code latin1}). */
    String gsm8k(String name, String bad, boolean latin1) throws Exception {
        byte[] head = (GSM8K + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] middle = (bad + "\n").getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + middle.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(middle, 0, all, head.length, middle.length);
        return bytes(name, all);
    }

    /**
     * A config of a small run with the tiny model and {@link #run()} as output, then {@code lines};
     * a line that sets model or output replaces the default one.
     */
    String config(String... lines) throws Exception {
        Stream<String> defaults = Stream.of("model: " + model, "output: " + run(), "steps: 1", "prompts_per_step: 1",
                "partitions: 1", "sampling: {max_new_tokens: 8}", "eval: {size: 1, max_new_tokens: 8}");
        List<String> own = List.of(lines);
        return file("run.yaml", Stream.concat(defaults.filter(d -> own.stream()
                .noneMatch(l -> l.startsWith(d.substring(0, d.indexOf(':') + 1)))), own.stream()).toArray(String[]::new));
    }

    /** A config training GSM8K (or MMLU) on these files. */
    String dataConfig(String task, String train, String test) throws Exception {
        return config("data: {task: " + task + ", train: " + train + ", test: " + test + "}");
    }

    /** A copy of the tiny model, to be broken. */
    Path modelCopy() throws Exception {
        Path copy = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        return copy;
    }

    Path truncatedWeights() throws Exception {
        Path copy = modelCopy();
        try (RandomAccessFile f = new RandomAccessFile(copy.resolve(ModelDirectory.WEIGHTS).toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        return copy;
    }

    /** config.json says another width than the weights have. */
    Path wrongShapes() throws Exception {
        Path copy = modelCopy();
        Path config = copy.resolve("config.json");
        String json = Files.readString(config);
        Files.writeString(config, json.replaceFirst("\"intermediate_size\" : \\d+", "\"intermediate_size\" : 200"));
        return copy;
    }

    /** What a finished run leaves, as far as refusing to overwrite it is concerned. */
    String previousRun() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("config.yaml"), "steps: 1\n");
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1, \"reward\": 0.5}\n");
        Files.writeString(run.resolve("summary.json"), "{\"steps\": 1}\n");
        return run.toString();
    }

    /**
     * A run stopped after step 1 that {@code --resume} could continue: the resolved {@code config}
     * as config.yaml, one metrics line and a checkpoint of step 1 (the tiny model, AdamW after no
     * step), made without Spark. Cases then damage one of its files.
     */
    String resumableRun(String config) throws Exception {
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        String yaml = org.atmanrl.driver.config.TrainConfigLoader.load(conf, config, List.of()).toYaml();
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("config.yaml"), yaml);
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":1,\"reward\":0.5}\n");
        org.apache.hadoop.fs.Path m = new org.apache.hadoop.fs.Path(model.toUri());
        org.apache.hadoop.fs.FileSystem fs = org.atmanrl.model.io.HadoopFiles.fileSystem(m, conf);
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, m, org.nd4j.linalg.api.buffer.DataType.FLOAT)) {
            var adam = new org.atmanrl.executor.optim.AdamW(org.atmanrl.executor.optim.AdamW.Config.defaults(),
                    loaded.weights().named());
            var c = new org.atmanrl.driver.checkpoint.Checkpoint(1, loaded.config(), loaded.weights(),
                    ModelDirectory.companionFiles(fs, m), adam.state(),
                    "{\"step\": 1, \"seed\": 0, \"data_position\": 1, \"optimizer_steps\": 0, \"skipped_in_a_row\": 0}\n"
                            .getBytes(StandardCharsets.UTF_8), yaml.getBytes(StandardCharsets.UTF_8));
            new org.atmanrl.driver.checkpoint.CheckpointStore(fs, new org.apache.hadoop.fs.Path(run.resolve("checkpoints")
                    .toUri()), 2).save(c);
        }
        return run.toString();
    }

    /** The checkpoint {@link #resumableRun} made. */
    Path checkpoint() {
        return dir.resolve("run/checkpoints/step-00000001");
    }

    /**
     * Replaces a file of the checkpoint and lists its new size and hash in manifest.json, so that
     * only the file's own checks can refuse it (a writer's bug, or a hand edit, not bit rot).
     */
    void replaceInCheckpoint(String file, byte[] bytes) throws Exception {
        Files.write(checkpoint().resolve(file), bytes);
        Path manifest = checkpoint().resolve("manifest.json");
        var root = org.atmanrl.model.io.JsonFiles.MAPPER.readTree(Files.readAllBytes(manifest));
        for (var f : root.get("files")) {
            if (f.get("path").textValue().equals(file)) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) f).put("size", bytes.length).put("sha256",
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            }
        }
        Files.write(manifest, org.atmanrl.model.io.JsonFiles.MAPPER.writeValueAsBytes(root));
    }

    /**
     * The checkpoint's optimizer file rewritten with these moment tensors (all zeros), for the
     * model's weights {@code names} with {@code shapes}; F32, the step and format metadata kept.
     */
    void optimizerInCheckpoint(Map<String, long[]> shapes) throws Exception {
        Path file = dir.resolve("optimizer-rewritten.safetensors");
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            long n = 1;
            for (long d : shape) n *= d;
            values.put(name, new float[(int) n]);
        });
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file.toUri());
        org.atmanrl.model.io.SafetensorsWriter.writeF32(org.atmanrl.model.io.HadoopFiles.fileSystem(p,
                new org.apache.hadoop.conf.Configuration()), p, shapes, values, Map.of("format", "atmanrl-adamw", "step", "0"));
        byte[] bytes = Files.readAllBytes(file);
        Files.delete(file);
        replaceInCheckpoint("optimizer.safetensors", bytes);
    }

    /**
     * Every file and directory under {@link #dir} with a SHA-256 of its bytes; a symbolic link as
     * its target and a FIFO as such, never read (one may point at /dev/zero, the other never ends).
     */
    Map<String, String> snapshot() throws Exception {
        Map<String, String> all = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.toList()) {
                String name = dir.relativize(p).toString();
                all.put(name, Files.isSymbolicLink(p) ? "link to " + Files.readSymbolicLink(p)
                        : Files.isDirectory(p) ? "directory"
                        : !Files.isRegularFile(p) ? "special file"
                        : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return all;
    }

    /** A symbolic link {@code name} to {@code target} (e.g. /dev/zero), as its path. */
    String link(String name, String target) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of(target));
        return p.toString();
    }

    /** A FIFO (named pipe) {@code name} that nothing writes to: opening it for reading would wait forever. */
    String fifo(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Process mkfifo = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        if (mkfifo.waitFor() != 0) throw new IllegalStateException("mkfifo " + p + " failed");
        return p.toString();
    }
}
