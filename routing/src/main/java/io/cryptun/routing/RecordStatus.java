package io.cryptun.routing;

import java.util.Objects;

/**
 * What this node currently believes about another node's cryptun record.
 *
 * @param kind    absent, valid, or present but unusable
 * @param record  the record when {@link Kind#VALID}, else null
 * @param problem why the record is unusable when {@link Kind#MALFORMED}, else null
 */
public record RecordStatus(Kind kind, CryptunRecord record, String problem) {
    public enum Kind { ABSENT, VALID, MALFORMED }

    public static final RecordStatus ABSENT = new RecordStatus(Kind.ABSENT, null, null);

    public RecordStatus {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.VALID) != (record != null)) {
            throw new IllegalArgumentException("a record is given exactly when VALID");
        }
        if ((kind == Kind.MALFORMED) != (problem != null)) {
            throw new IllegalArgumentException("a problem is given exactly when MALFORMED");
        }
    }

    public static RecordStatus valid(CryptunRecord record) {
        return new RecordStatus(Kind.VALID, Objects.requireNonNull(record, "record"), null);
    }

    public static RecordStatus malformed(String problem) {
        return new RecordStatus(Kind.MALFORMED, null, Objects.requireNonNull(problem, "problem"));
    }

    public boolean isValid() {
        return kind == Kind.VALID;
    }
}
