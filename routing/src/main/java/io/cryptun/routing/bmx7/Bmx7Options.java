package io.cryptun.routing.bmx7;

import io.cryptun.routing.TunnelSearch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The current configuration as the json plugin's {@code parameters} file shows it:
 * {@code {"OPTIONS": [ {"name": ..., "INSTANCES": [ {"value": ..., "CHILD_INSTANCES": [...]}]} ]}}.
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
        Map<String, Object> root = Json.parseObject(json);
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
