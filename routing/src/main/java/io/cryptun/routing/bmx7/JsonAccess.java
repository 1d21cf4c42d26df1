package io.cryptun.routing.bmx7;

import java.util.List;
import java.util.Map;

/** Typed access to parsed JSON with errors that name the missing or mistyped member. */
final class JsonAccess {
    private JsonAccess() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object v, String what) {
        if (!(v instanceof List)) {
            throw new IllegalArgumentException(what + " is not a JSON array");
        }
        return (List<Object>) v;
    }

    /** A member as text: strings as they are, numbers in decimal. */
    static String text(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Long || v instanceof Double) {
            return v.toString();
        }
        throw new IllegalArgumentException("member '" + key + "' is missing or not text");
    }

    static String textOrNull(Map<String, Object> o, String key) {
        return o.containsKey(key) ? text(o, key) : null;
    }

    static long integer(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof String s && !s.isEmpty() && s.length() < 19 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Long.parseLong(s);
        }
        throw new IllegalArgumentException("member '" + key + "' is missing or not an integer");
    }

    /** A {@code {name: value}} pair as {@code --- -> null}, bmx7's way of saying "none". */
    static String noneIsNull(String s) {
        return s == null || s.equals("---") ? null : s;
    }
}
