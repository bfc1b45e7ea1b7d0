package org.atmanrl.reward.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.Type;
import org.atmanrl.model.io.BoundedInput;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelFormatException;

/**
 * Reads a Parquet table's rows with parquet-hadoop, the library (and version) Spark's own Parquet
 * source is built on, and hands each to the same {@link JsonlReader.RowParser} a JSON line goes
 * through, so that a row is checked exactly as a JSON line is (docs/design.md 4). A record becomes
 * the JSON object Spark's {@code df.write.json} would write of it: strings as strings, integers and
 * floats as numbers, booleans, lists (the LIST layout Spark writes, and bare repeated fields) as
 * arrays, structs as objects, a null as null. A row's number is its 1-based index in its file.
 * Rows are checked one at a time as they are decoded: no row is held past its parse.
 */
final class ParquetRows {
    private static final JsonNodeFactory NODES = JsonFiles.MAPPER.getNodeFactory();

    private ParquetRows() {
    }

    static <T> DatasetReport read(FileSystem fs, Path file, MalformedRowPolicy policy, JsonlReader.RowParser<T> parser,
                                  Consumer<? super T> sink) throws IOException {
        String name = file.toString();
        BoundedInput.regularFile(fs, file); // a directory or device is refused by type, as a JSON-lines file is
        RowTally<T> tally = new RowTally<>(name, policy, sink);
        Configuration conf = fs.getConf();
        try (ParquetReader<Group> reader = open(file, conf)) {
            long row = 0;
            for (Group record = next(reader, name); record != null; record = next(reader, name)) {
                row++;
                try {
                    tally.row(parser.parse(object(record), row));
                } catch (JsonlReader.RowFault fault) {
                    tally.fault(row, fault);
                }
            }
        }
        return tally.report(0);
    }

    private static ParquetReader<Group> open(Path file, Configuration conf) throws IOException {
        try {
            return ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build();
        } catch (RuntimeException e) {
            throw unreadable(file.toString(), e);
        }
    }

    /** The next record; a file that is not Parquet, or is damaged, is one line naming it. */
    private static Group next(ParquetReader<Group> reader, String file) throws IOException {
        try {
            return reader.read();
        } catch (RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    private static ModelFormatException unreadable(String file, RuntimeException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : JsonFiles.oneLine(e.getMessage());
        return new ModelFormatException(file, "not a readable Parquet file (" + why + "); a Parquet table expected", e);
    }

    private static ObjectNode object(Group record) throws JsonlReader.RowFault {
        ObjectNode node = NODES.objectNode();
        GroupType type = record.getType();
        for (int i = 0; i < type.getFieldCount(); i++) {
            node.set(type.getFieldName(i), field(record, i, type.getFieldName(i)));
        }
        return node;
    }

    /** Field {@code i} of {@code g}: an array if repeated, null if absent. */
    private static JsonNode field(Group g, int i, String name) throws JsonlReader.RowFault {
        Type type = g.getType().getType(i);
        int count = g.getFieldRepetitionCount(i);
        if (type.isRepetition(Type.Repetition.REPEATED)) {
            ArrayNode values = NODES.arrayNode(count);
            for (int j = 0; j < count; j++) values.add(value(g, i, j, name));
            return values;
        }
        return count == 0 ? NODES.nullNode() : value(g, i, 0, name);
    }

    private static JsonNode value(Group g, int i, int j, String name) throws JsonlReader.RowFault {
        Type type = g.getType().getType(i);
        if (!type.isPrimitive()) {
            Group inner = g.getGroup(i, j);
            if (type.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
                return list(inner, name);
            }
            return object(inner);
        }
        return switch (type.asPrimitiveType().getPrimitiveTypeName()) {
            case BINARY -> text(g.getBinary(i, j), name);
            case INT32 -> NODES.numberNode(g.getInteger(i, j));
            case INT64 -> NODES.numberNode(g.getLong(i, j));
            case BOOLEAN -> NODES.booleanNode(g.getBoolean(i, j));
            case FLOAT -> NODES.numberNode(g.getFloat(i, j));
            case DOUBLE -> NODES.numberNode(g.getDouble(i, j));
            default -> NODES.textNode(g.getValueToString(i, j));
        };
    }

    /**
     * A LIST group ({@code list (LIST) { repeated group list { element; } }}, as Spark writes an
     * array, or the older two-level {@code repeated <element>}) as an array of its elements.
     */
    private static JsonNode list(Group list, String name) throws JsonlReader.RowFault {
        if (list.getType().getFieldCount() != 1) return object(list);
        int count = list.getFieldRepetitionCount(0);
        Type repeated = list.getType().getType(0);
        ArrayNode values = NODES.arrayNode(count);
        for (int j = 0; j < count; j++) {
            if (!repeated.isPrimitive() && repeated.asGroupType().getFieldCount() == 1) {
                Group element = list.getGroup(0, j);
                values.add(element.getFieldRepetitionCount(0) == 0 ? NODES.nullNode() : value(element, 0, 0, name));
            } else {
                values.add(value(list, 0, j, name));
            }
        }
        return values;
    }

    /** A string column's value: bounded as a JSON line is, so a wrong column is refused, not passed on. */
    private static JsonNode text(Binary value, String name) throws JsonlReader.RowFault {
        if (value.length() > JsonlReader.MAX_LINE_BYTES) {
            throw new JsonlReader.RowFault(name, value.length() + " bytes, longer than a data row's "
                    + JsonlReader.MAX_LINE_BYTES + "; a question or answer of a few KB expected");
        }
        return NODES.textNode(value.toStringUsingUTF8());
    }
}
