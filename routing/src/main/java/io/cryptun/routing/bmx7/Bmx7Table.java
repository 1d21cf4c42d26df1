package io.cryptun.routing.bmx7;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A status table from the control socket ({@code show=originators}, {@code show=tunnels}, ...):
 * a {@code NAME:} title line, a header line, then rows. Column widths depend on the content, so
 * lines are split on runs of spaces; no field bmx7 prints in these tables contains a space.
 *
 * @param name    the title without its colon, e.g. {@code ORIGINATORS}
 * @param columns the header names in order
 * @param rows    one map per row, column name to text ({@code ---} kept as printed)
 */
public record Bmx7Table(String name, List<String> columns, List<Map<String, String>> rows) {
    public Bmx7Table {
        columns = List.copyOf(columns);
        List<Map<String, String>> copy = new ArrayList<>(rows.size());
        for (Map<String, String> r : rows) {
            copy.add(Collections.unmodifiableMap(new LinkedHashMap<>(r)));
        }
        rows = List.copyOf(copy);
    }

    /**
     * Parses the reply body of one table (the trailing {@code $} may be present).
     *
     * @throws IllegalArgumentException when there is no title/header, the header repeats a column name or a
     *                                  row has the wrong number of fields
     */
    public static Bmx7Table parse(String reply) {
        List<String> lines = new ArrayList<>();
        for (String raw : reply.split("\n", -1)) {
            String l = raw.strip();
            if (!l.isEmpty() && !l.equals("$")) {
                lines.add(l);
            }
        }
        if (lines.size() < 2 || !lines.get(0).endsWith(":")) {
            throw new IllegalArgumentException("not a bmx7 table (no 'NAME:' title and header)");
        }
        String title = lines.get(0).substring(0, lines.get(0).length() - 1);
        List<String> columns = List.of(lines.get(1).split(" +"));
        if (new java.util.HashSet<>(columns).size() != columns.size()) {
            // rows become maps by column name: a repeated name would silently lose a field
            throw new IllegalArgumentException(title + " header repeats a column name");
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 2; i < lines.size(); i++) {
            String[] f = lines.get(i).split(" +");
            if (f.length != columns.size()) {
                throw new IllegalArgumentException(title + " row " + (i - 1) + " has " + f.length + " fields for "
                        + columns.size() + " columns");
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < f.length; c++) {
                row.put(columns.get(c), f[c]);
            }
            rows.add(row);
        }
        return new Bmx7Table(title, columns, rows);
    }

    public boolean hasColumn(String column) {
        return columns.contains(column);
    }
}
