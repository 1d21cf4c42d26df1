package io.cryptun.noise.allowedips;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Cryptokey routing table: maps IP prefixes to owners (peers) and finds the owner of the longest
 * prefix containing an address. One path-compressed binary trie per address family, the structure of
 * the Linux kernel's and wireguard-go's {@code allowedips}.
 *
 * <p>Semantics follow {@code wg}: a prefix has at most one owner; inserting a prefix that another
 * owner holds moves it to the new owner. Owners are compared with {@code equals}/{@code hashCode}
 * (peer objects normally keep identity equality). Null owners are rejected.
 *
 * <p>Order of {@link #prefixesOf}: insertion order per owner, where inserting a prefix again (even
 * for the owner that already holds it) moves it to the end. This is what the kernel
 * ({@code list_move_tail}) and wireguard-go ({@code EntriesForPeer} walks a per-peer list that
 * {@code Insert} appends to, after unlinking an existing entry) do, so {@code wg show} prints the same
 * order.
 *
 * <p>Concurrency: writers are serialized by an internal lock. {@link #lookup} takes no lock and
 * allocates nothing: nodes are changed in place, RCU style. A new node, or a node splitting a path,
 * is fully built (children included) before one volatile write links it in; a removed node keeps its
 * child links, so a reader standing on it still reaches everything below. Every single write leaves a
 * valid trie, so a reader finds the right owner for any address whose longest matching prefix and
 * owner do not change during the lookup; for an address whose prefixes are being changed it returns
 * the owner from before or after the change.
 */
public final class AllowedIps<T> {
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /**
     * A trie node: a prefix, maybe an owner, two children. Addresses are kept as 128 bits in two
     * longs (IPv4 in the top 32 bits of {@code hi}) so that prefix tests are a few XORs and ANDs.
     */
    private static final class Node<T> {
        final long hi;
        final long lo;
        final long maskHi;
        final long maskLo;
        final int cidr;
        final boolean v6;
        volatile T owner;
        volatile Node<T> child0;
        volatile Node<T> child1;
        // The fields below are used by writers only, under the lock.
        Node<T> parent; // null for the root of a family
        int parentBit;
        Node<T> ownerPrev;
        Node<T> ownerNext;

        Node(long hi, long lo, int cidr, boolean v6) {
            this.maskHi = cidr == 0 ? 0 : cidr >= 64 ? -1L : -1L << (64 - cidr);
            this.maskLo = cidr <= 64 ? 0 : -1L << (128 - cidr);
            this.hi = hi & maskHi;
            this.lo = lo & maskLo;
            this.cidr = cidr;
            this.v6 = v6;
        }

        boolean contains(long h, long l) {
            return (((h ^ hi) & maskHi) | ((l ^ lo) & maskLo)) == 0;
        }

        Node<T> child(int bit) {
            return bit == 0 ? child0 : child1;
        }

        IpPrefix prefix() {
            byte[] b = new byte[v6 ? 16 : 4];
            for (int i = 0; i < b.length; i++) {
                long word = i < 8 ? hi : lo;
                b[i] = (byte) (word >>> (56 - 8 * (i & 7)));
            }
            return IpPrefix.of(b, cidr);
        }
    }

    /** An owner's prefixes as an intrusive doubly linked list of its nodes, oldest first. */
    private static final class OwnerList<T> {
        Node<T> head;
        Node<T> tail;
        int count;
    }

    private final Object writeLock = new Object();
    private volatile Node<T> root4;
    private volatile Node<T> root6;
    private final Map<T, OwnerList<T>> owners = new HashMap<>();
    private volatile int size;

    /**
     * Makes {@code owner} the owner of {@code prefix}; if another owner held it, the prefix moves.
     * O(prefix length).
     */
    public void insert(IpPrefix prefix, T owner) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(owner, "owner");
        boolean v6 = !prefix.isIpv4();
        long hi = word(prefix, 0);
        long lo = v6 ? word(prefix, 8) : 0;
        int cidr = prefix.length();
        synchronized (writeLock) {
            Node<T> parent = null;
            Node<T> node = v6 ? root6 : root4;
            while (node != null && node.cidr <= cidr && node.contains(hi, lo)) {
                if (node.cidr == cidr) {
                    assign(node, owner);
                    return;
                }
                parent = node;
                node = node.child(bit(hi, lo, node.cidr));
            }
            Node<T> fresh = new Node<>(hi, lo, cidr, v6);
            fresh.owner = owner;
            appendToOwner(fresh, owner);
            size = size + 1;
            int slot = parent == null ? -1 : bit(hi, lo, parent.cidr);
            if (node == null) {
                link(v6, parent, slot, fresh);
                return;
            }
            // node sits where fresh belongs but is not inside fresh's prefix, or is longer
            int common = Math.min(cidr, commonBits(node, hi, lo));
            if (common == cidr) {
                adopt(fresh, node);
                link(v6, parent, slot, fresh);
                return;
            }
            Node<T> fork = new Node<>(hi, lo, common, v6);
            adopt(fork, node);
            adopt(fork, fresh);
            link(v6, parent, slot, fork);
        }
    }

    /**
     * Removes {@code prefix} if {@code owner} holds it; returns whether it did. Another owner's prefix
     * is left alone.
     */
    public boolean remove(IpPrefix prefix, T owner) {
        Objects.requireNonNull(prefix, "prefix");
        synchronized (writeLock) {
            Node<T> node = exactNode(prefix);
            if (node == null || node.owner == null || !node.owner.equals(owner)) {
                return false;
            }
            OwnerList<T> list = owners.get(node.owner);
            unlinkFromOwner(list, node);
            if (list.count == 0) {
                owners.remove(node.owner);
            }
            removeNode(node);
            return true;
        }
    }

    /** Removes every prefix {@code owner} holds, in O(number of its prefixes). */
    public void removeAll(T owner) {
        synchronized (writeLock) {
            OwnerList<T> list = owners.remove(owner);
            if (list == null) {
                return;
            }
            Node<T> node = list.head;
            while (node != null) {
                Node<T> next = node.ownerNext;
                node.ownerPrev = null;
                node.ownerNext = null;
                removeNode(node);
                node = next;
            }
        }
    }

    /** Removes everything. */
    public void clear() {
        synchronized (writeLock) {
            root4 = null;
            root6 = null;
            owners.clear();
            size = 0;
        }
    }

    /** The prefixes {@code owner} holds, oldest insertion first (see the class comment); a snapshot. */
    public List<IpPrefix> prefixesOf(T owner) {
        synchronized (writeLock) {
            OwnerList<T> list = owners.get(owner);
            if (list == null) {
                return List.of();
            }
            List<IpPrefix> out = new ArrayList<>(list.count);
            for (Node<T> n = list.head; n != null; n = n.ownerNext) {
                out.add(n.prefix());
            }
            return Collections.unmodifiableList(out);
        }
    }

    /** The owner of exactly {@code prefix}, or null (no longest-prefix matching). */
    public T ownerOf(IpPrefix prefix) {
        Objects.requireNonNull(prefix, "prefix");
        synchronized (writeLock) {
            Node<T> node = exactNode(prefix);
            return node == null ? null : node.owner;
        }
    }

    /**
     * The owner of the longest prefix containing the address at {@code buf[off..off+len)}, where
     * {@code len} is 4 (IPv4) or 16 (IPv6), or null. Lock-free and allocation-free: meant to be called
     * with the destination (or source) address inside a packet buffer.
     *
     * @throws IllegalArgumentException  if {@code len} is neither 4 nor 16
     * @throws IndexOutOfBoundsException if the range is outside {@code buf}
     */
    public T lookup(byte[] buf, int off, int len) {
        if (len == 4) {
            Objects.checkFromIndexSize(off, 4, buf.length);
            long hi = ((long) (int) INT_BE.get(buf, off)) << 32;
            return find(root4, hi, 0L, 32);
        }
        if (len == 16) {
            Objects.checkFromIndexSize(off, 16, buf.length);
            long hi = (long) LONG_BE.get(buf, off);
            long lo = (long) LONG_BE.get(buf, off + 8);
            return find(root6, hi, lo, 128);
        }
        throw new IllegalArgumentException("address length must be 4 or 16, was " + len);
    }

    /** The owner of the longest prefix containing {@code address} (4 or 16 bytes), or null. */
    public T lookup(byte[] address) {
        return lookup(address, 0, address.length);
    }

    /** Number of prefixes held. */
    public int size() {
        return size;
    }

    /**
     * Every (prefix, owner) pair, as a snapshot in {@link IpPrefix} order (IPv4 first, then by
     * address, shorter prefixes first).
     */
    public List<Map.Entry<IpPrefix, T>> entries() {
        List<Map.Entry<IpPrefix, T>> out = new ArrayList<>();
        synchronized (writeLock) {
            collect(root4, out);
            collect(root6, out);
        }
        return Collections.unmodifiableList(out);
    }

    /** Calls {@code action} for every (prefix, owner) of a snapshot, in {@link #entries()} order. */
    public void forEach(BiConsumer<? super IpPrefix, ? super T> action) {
        for (Map.Entry<IpPrefix, T> e : entries()) {
            action.accept(e.getKey(), e.getValue());
        }
    }

    private static <T> T find(Node<T> node, long hi, long lo, int bits) {
        T found = null;
        while (node != null && node.contains(hi, lo)) {
            T owner = node.owner;
            if (owner != null) {
                found = owner;
            }
            if (node.cidr == bits) {
                break;
            }
            node = bit(hi, lo, node.cidr) == 0 ? node.child0 : node.child1;
        }
        return found;
    }

    private static long word(IpPrefix p, int from) {
        long w = 0;
        int n = p.addressLength();
        for (int i = 0; i < 8; i++) {
            int at = from + i;
            w = (w << 8) | (at < n ? p.addressByte(at) : 0);
        }
        return w;
    }

    /** Bit number {@code pos} (0 = most significant) of the 128-bit address. */
    private static int bit(long hi, long lo, int pos) {
        return pos < 64 ? (int) (hi >>> (63 - pos)) & 1 : (int) (lo >>> (127 - pos)) & 1;
    }

    private static int commonBits(Node<?> node, long hi, long lo) {
        long x = node.hi ^ hi;
        return x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(node.lo ^ lo);
    }

    private Node<T> exactNode(IpPrefix prefix) {
        boolean v6 = !prefix.isIpv4();
        long hi = word(prefix, 0);
        long lo = v6 ? word(prefix, 8) : 0;
        int cidr = prefix.length();
        Node<T> node = v6 ? root6 : root4;
        while (node != null && node.cidr <= cidr && node.contains(hi, lo)) {
            if (node.cidr == cidr) {
                return node;
            }
            node = node.child(bit(hi, lo, node.cidr));
        }
        return null;
    }

    /** Gives an existing node (owned or a bare fork) to {@code owner}, at the end of its list. */
    private void assign(Node<T> node, T owner) {
        T previous = node.owner;
        if (previous == null) {
            size = size + 1;
        } else {
            OwnerList<T> list = owners.get(previous);
            unlinkFromOwner(list, node);
            if (list.count == 0 && !previous.equals(owner)) {
                owners.remove(previous);
            }
        }
        appendToOwner(node, owner);
        node.owner = owner;
    }

    private void appendToOwner(Node<T> node, T owner) {
        OwnerList<T> list = owners.computeIfAbsent(owner, o -> new OwnerList<>());
        node.ownerPrev = list.tail;
        node.ownerNext = null;
        if (list.tail == null) {
            list.head = node;
        } else {
            list.tail.ownerNext = node;
        }
        list.tail = node;
        list.count++;
    }

    private static <T> void unlinkFromOwner(OwnerList<T> list, Node<T> node) {
        if (node.ownerPrev == null) {
            list.head = node.ownerNext;
        } else {
            node.ownerPrev.ownerNext = node.ownerNext;
        }
        if (node.ownerNext == null) {
            list.tail = node.ownerPrev;
        } else {
            node.ownerNext.ownerPrev = node.ownerPrev;
        }
        node.ownerPrev = null;
        node.ownerNext = null;
        list.count--;
    }

    /** Makes {@code child} a child of the not yet published {@code parent}. */
    private static <T> void adopt(Node<T> parent, Node<T> child) {
        int b = bit(child.hi, child.lo, parent.cidr);
        if (b == 0) {
            parent.child0 = child;
        } else {
            parent.child1 = child;
        }
        child.parent = parent;
        child.parentBit = b;
    }

    /** Points the given slot (a family root when parent is null) at {@code node}: one volatile write. */
    private void link(boolean v6, Node<T> parent, int slotBit, Node<T> node) {
        if (node != null) {
            node.parent = parent;
            node.parentBit = slotBit;
        }
        if (parent == null) {
            if (v6) {
                root6 = node;
            } else {
                root4 = node;
            }
        } else if (slotBit == 0) {
            parent.child0 = node;
        } else {
            parent.child1 = node;
        }
    }

    /**
     * Takes the owner from a node already unlinked from its owner list, then prunes: a node with one
     * child or none is replaced by that child, and a bare fork left with one child is replaced by it.
     * Bare (ownerless) nodes therefore always have two children. Removed nodes keep their child links
     * for readers still passing through them.
     */
    private void removeNode(Node<T> node) {
        node.owner = null;
        size = size - 1;
        Node<T> c0 = node.child0;
        Node<T> c1 = node.child1;
        if (c0 != null && c1 != null) {
            return;
        }
        Node<T> child = c0 != null ? c0 : c1;
        Node<T> parent = node.parent;
        link(node.v6, parent, node.parentBit, child);
        if (child != null || parent == null || parent.owner != null) {
            return;
        }
        Node<T> sibling = parent.child(node.parentBit ^ 1);
        link(parent.v6, parent.parent, parent.parentBit, sibling);
    }

    private static <T> void collect(Node<T> root, List<Map.Entry<IpPrefix, T>> out) {
        Deque<Node<T>> stack = new ArrayDeque<>();
        if (root != null) {
            stack.push(root);
        }
        while (!stack.isEmpty()) {
            Node<T> n = stack.pop();
            T owner = n.owner;
            if (owner != null) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(n.prefix(), owner));
            }
            if (n.child1 != null) {
                stack.push(n.child1);
            }
            if (n.child0 != null) {
                stack.push(n.child0);
            }
        }
    }

    /**
     * Checks the structural invariants and returns the number of nodes (owned and bare); for tests.
     *
     * @throws IllegalStateException describing the first violation found
     */
    int checkInvariants() {
        synchronized (writeLock) {
            int[] counts = new int[2]; // nodes, owned
            checkSubtree(root4, null, false, counts);
            checkSubtree(root6, null, true, counts);
            int listed = 0;
            for (Map.Entry<T, OwnerList<T>> e : owners.entrySet()) {
                OwnerList<T> list = e.getValue();
                int n = 0;
                Node<T> prev = null;
                for (Node<T> node = list.head; node != null; node = node.ownerNext) {
                    if (!e.getKey().equals(node.owner) || node.ownerPrev != prev) {
                        throw new IllegalStateException("owner list of " + e.getKey() + " is inconsistent");
                    }
                    prev = node;
                    n++;
                }
                if (n != list.count || list.tail != prev || n == 0) {
                    throw new IllegalStateException("owner list count/tail wrong for " + e.getKey());
                }
                listed += n;
            }
            if (listed != counts[1] || size != counts[1]) {
                throw new IllegalStateException("size " + size + ", owned nodes " + counts[1] + ", listed " + listed);
            }
            return counts[0];
        }
    }

    private void checkSubtree(Node<T> root, Node<T> rootParent, boolean v6, int[] counts) {
        Deque<Node<T>> stack = new ArrayDeque<>();
        if (root != null) {
            if (root.parent != rootParent) {
                throw new IllegalStateException("root has a parent");
            }
            stack.push(root);
        }
        while (!stack.isEmpty()) {
            Node<T> n = stack.pop();
            counts[0]++;
            if (n.v6 != v6 || n.cidr > (v6 ? 128 : 32)) {
                throw new IllegalStateException("node of the wrong family at " + n.prefix());
            }
            if (n.owner != null) {
                counts[1]++;
            } else if (n.child0 == null || n.child1 == null) {
                throw new IllegalStateException("bare node without two children at " + n.prefix());
            }
            for (int b = 0; b < 2; b++) {
                Node<T> c = n.child(b);
                if (c == null) {
                    continue;
                }
                if (c.parent != n || c.parentBit != b || c.cidr <= n.cidr || !n.contains(c.hi, c.lo)
                        || bit(c.hi, c.lo, n.cidr) != b) {
                    throw new IllegalStateException("bad link " + n.prefix() + " -> " + c.prefix());
                }
                stack.push(c);
            }
        }
    }
}
