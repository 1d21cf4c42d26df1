package io.cryptun.routing.reactor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Routes and rules kept in memory, with a log of every call. */
final class MemoryRouteTable implements RouteTable {
    final Set<TunnelRoute> routes = new TreeSet<>();
    final Set<TableRule> rules = new TreeSet<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public synchronized void add(TunnelRoute route) {
        calls.add("add " + route);
        routes.add(route);
    }

    @Override
    public synchronized void remove(TunnelRoute route) throws IOException {
        calls.add("remove " + route);
        if (!routes.remove(route)) {
            throw new IOException("no such route " + route);
        }
    }

    @Override
    public synchronized void addRule(TableRule rule) {
        calls.add("add " + rule);
        rules.add(rule);
    }

    @Override
    public synchronized void removeRule(TableRule rule) throws IOException {
        calls.add("remove " + rule);
        if (!rules.remove(rule)) {
            throw new IOException("no such rule " + rule);
        }
    }
}
