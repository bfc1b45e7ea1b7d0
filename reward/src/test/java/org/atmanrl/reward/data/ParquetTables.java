package org.atmanrl.reward.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Test helpers: Parquet tables written with parquet-hadoop's own writer, in the layout Spark writes
 * ({@code df.write.parquet}: optional UTF-8 strings, an array as a three-level LIST), compressed
 * with snappy as Spark's default is. Shared with executor's and driver's tests (reward's test jar).
 */
public final class ParquetTables {
    /** GSM8K's columns. */
    public static final MessageType GSM8K = MessageTypeParser.parseMessageType(
            "message spark_schema { optional binary question (STRING); optional binary answer (STRING); }");
    /** MMLU's columns, the answer as its index 0-3 (the Hugging Face copy's form). */
    public static final MessageType MMLU = MessageTypeParser.parseMessageType(
            "message spark_schema { optional binary subject (STRING); optional binary question (STRING);"
                    + " optional group choices (LIST) { repeated group list { optional binary element (STRING); } }"
                    + " optional int64 answer; }");

    private ParquetTables() {
    }

    /** Writes GSM8K rows {question, answer} to {@code file} (its directories made); a null cell is a null. */
    public static Path gsm8k(java.nio.file.Path file, String[]... rows) {
        return write(file, GSM8K, List.of(rows).stream().map(r -> {
            Group g = new SimpleGroupFactory(GSM8K).newGroup();
            if (r[0] != null) g.append("question", r[0]);
            if (r[1] != null) g.append("answer", r[1]);
            return g;
        }).toList());
    }

    /** Writes MMLU rows to {@code file}: subject, question, four choices, the answer's index. */
    public static Path mmlu(java.nio.file.Path file, String subject, String question, List<String> choices, long answer) {
        Group g = new SimpleGroupFactory(MMLU).newGroup();
        g.append("subject", subject).append("question", question);
        Group list = g.addGroup("choices");
        for (String c : choices) list.addGroup("list").append("element", c);
        g.append("answer", answer);
        return write(file, MMLU, List.of(g));
    }

    public static Path write(java.nio.file.Path file, MessageType schema, List<Group> rows) {
        try {
            Files.createDirectories(file.getParent());
            Path path = new Path(file.toUri());
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration())
                    .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
                for (Group row : rows) w.write(row);
            }
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
