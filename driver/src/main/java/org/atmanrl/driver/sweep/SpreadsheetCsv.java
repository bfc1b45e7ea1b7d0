package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The sweep's CSV files: RFC 4180 quoting (Jackson CSV), and safe to open in a spreadsheet. A text
 * cell (a point name, a grid value, a failure's message) that begins with {@code = + - @}, a tab
 * or a carriage return would be run as a formula there, so it gets a single quote in front, as
 * OWASP advises against CSV injection. A plain decimal number such as {@code -0.5} or
 * {@code -1.0E-5} is left alone: a spreadsheet reads it as the number, which is what it is.
 */
final class SpreadsheetCsv {
    /** What Java and Jackson write for a number: an optional minus, digits, a fraction, an exponent. */
    private static final Pattern PLAIN_NUMBER = Pattern.compile("-?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    private static final String FORMULA_STARTS = "=+-@\t\r";
    /** Quotes a cell only when it must: by default Jackson quotes every cell of over 24 characters unseen. */
    private static final CsvMapper MAPPER = CsvMapper.builder().enable(CsvGenerator.Feature.STRICT_CHECK_FOR_QUOTING).build();

    private SpreadsheetCsv() {
    }

    /** The header line and one line per row. */
    static String write(List<String> columns, List<List<String>> rows) {
        CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
        columns.forEach(c -> schema.addColumn(neutralised(c)));
        List<List<String>> safe = new ArrayList<>(rows.size());
        for (List<String> row : rows) safe.add(row.stream().map(SpreadsheetCsv::neutralised).toList());
        try {
            return MAPPER.writer(schema.build()).writeValueAsString(safe);
        } catch (IOException e) {
            throw new IllegalStateException("writing CSV in memory", e);
        }
    }

    /** The cell as written: a text that a spreadsheet would take for a formula gets a leading {@code '}. */
    static String neutralised(String cell) {
        if (cell == null || cell.isEmpty() || FORMULA_STARTS.indexOf(cell.charAt(0)) < 0) return cell;
        return PLAIN_NUMBER.matcher(cell).matches() ? cell : "'" + cell;
    }
}
