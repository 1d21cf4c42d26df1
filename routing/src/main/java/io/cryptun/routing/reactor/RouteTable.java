package io.cryptun.routing.reactor;

import java.io.IOException;

/**
 * Where the reactor installs routes through the cryptun device and the policy rules that select
 * the tables holding them. Rules are only asked for tables other than main; the reactor asks for a
 * rule before the first route of its table and drops it after the last one.
 */
public interface RouteTable {
    void add(TunnelRoute route) throws IOException;

    void remove(TunnelRoute route) throws IOException;

    void addRule(TableRule rule) throws IOException;

    void removeRule(TableRule rule) throws IOException;
}
