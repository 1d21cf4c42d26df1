package io.cryptun.routing.bmx7;

import io.cryptun.routing.TunnelSearch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * bmx7's current configuration: as the json plugin's {@code parameters} file shows it,
 * {@code {"OPTIONS": [ {"name": ..., "INSTANCES": [ {"value": ..., "CHILD_INSTANCES": [...]}]} ]}},
 * or as the control socket answers {@code parameters} ({@link #parseText}). Options set through the
 * socket are part of it until bmx7 restarts, which is how cryptun sees that bmx7 forgot them.
 *
 * @param instances option name to its instances, in file order
 */
public record Bmx7Options(Map<String, List<Instance>> instances) {

    /** One option instance, e.g. {@code tunOut=v4dflt} with children {@code network=0.0.0.0/0, maxPrefixLen=0}. */
    public record Instance(String value, Map<String, String> children) {
        public Instance {
            children = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(children));
        }
    }

    public Bmx7Options {
        Map<String, List<Instance>> copy = new LinkedHashMap<>();
        instances.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        instances = java.util.Collections.unmodifiableMap(copy);
    }

    public static Bmx7Options parse(String json) {
        Map<String, Object> root = JsonReader.parseObject(json);
        Map<String, List<Instance>> map = new LinkedHashMap<>();
        for (Object o : JsonAccess.list(root.get("OPTIONS"), "OPTIONS")) {
            Map<String, Object> opt = JsonAccess.object(o, "option");
            String name = JsonAccess.text(opt, "name");
            List<Instance> list = map.computeIfAbsent(name, k -> new ArrayList<>());
            for (Object i : JsonAccess.list(opt.get("INSTANCES"), name + " INSTANCES")) {
                Map<String, Object> inst = JsonAccess.object(i, name + " instance");
                Map<String, String> children = new LinkedHashMap<>();
                Object ci = inst.get("CHILD_INSTANCES");
                if (ci != null) {
                    for (Object c : JsonAccess.list(ci, "CHILD_INSTANCES")) {
                        Map<String, Object> child = JsonAccess.object(c, "child");
                        children.put(JsonAccess.text(child, "name"), JsonAccess.text(child, "value"));
                    }
                }
                list.add(new Instance(JsonAccess.text(inst, "value"), children));
            }
        }
        return new Bmx7Options(map);
    }

    /**
     * Parses the control socket's answer to {@code parameters} (without its final {@code $}):
     * a {@code PARAMETERS:} line, then one line per option instance, {@code " NAME VALUE (DEFAULT)"},
     * each followed by its children, {@code "    /CHILD VALUE (DEFAULT)"}. bmx7 values hold no spaces.
     */
    public static Bmx7Options parseText(String text) {
        Map<String, List<Instance>> map = new LinkedHashMap<>();
        String[] lines = text.split("\n");
        int i = 0;
        while (i < lines.length && lines[i].isBlank()) {
            i++;
        }
        if (i == lines.length || !lines[i].strip().equals("PARAMETERS:")) {
            throw new IllegalArgumentException("not a bmx7 parameters answer (no PARAMETERS: line)");
        }
        String option = null;
        String value = null;
        Map<String, String> children = new LinkedHashMap<>();
        for (i++; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] t = line.split(" +", 3);
            if (t.length < 2) {
                throw new IllegalArgumentException("bmx7 parameters line without a value: '" + line + "'");
            }
            if (t[0].startsWith("/")) {
                if (option == null) {
                    throw new IllegalArgumentException("bmx7 parameters child before any option: '" + line + "'");
                }
                children.put(t[0].substring(1), t[1]);
            } else {
                if (option != null) {
                    map.computeIfAbsent(option, k -> new ArrayList<>()).add(new Instance(value, children));
                }
                option = t[0];
                value = t[1];
                children = new LinkedHashMap<>();
            }
        }
        if (option != null) {
            map.computeIfAbsent(option, k -> new ArrayList<>()).add(new Instance(value, children));
        }
        return new Bmx7Options(map);
    }

    /** The instance of {@code option} with this value (e.g. {@code tunIn} named {@code gw4}), if bmx7 holds one. */
    public java.util.Optional<Instance> instance(String option, String value) {
        for (Instance i : get(option)) {
            if (i.value().equals(value)) {
                return java.util.Optional.of(i);
            }
        }
        return java.util.Optional.empty();
    }

    public boolean has(String option, String value) {
        return instance(option, value).isPresent();
    }

    public List<Instance> get(String option) {
        return instances.getOrDefault(option, List.of());
    }

    /** The configured {@code tunOut} searches. */
    public List<TunnelSearch> tunnelSearches() {
        List<TunnelSearch> out = new ArrayList<>();
        for (Instance i : get("tunOut")) {
            out.add(TunnelSearch.fromOption(i.value(), i.children()));
        }
        return out;
    }
}
