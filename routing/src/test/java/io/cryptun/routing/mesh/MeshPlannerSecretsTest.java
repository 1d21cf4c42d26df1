package io.cryptun.routing.mesh;

import static io.cryptun.routing.mesh.FixtureMesh.A;
import static io.cryptun.routing.mesh.FixtureMesh.C;
import static io.cryptun.routing.mesh.FixtureMesh.D;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cryptun.noise.allowedips.IpPrefix;
import io.cryptun.routing.CryptMode;
import io.cryptun.routing.NodeId;
import io.cryptun.routing.RecordStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner with mesh secrets: a closed community on node A's captured view (C and D have records). */
class MeshPlannerSecretsTest {
    private static final String OLD = "b2366f45";
    private static final String NEW = "1f8e543a";
    private static final String OTHER = "5c1e2f3a";

    private static MeshView viewWith(List<String> cIds, List<String> dIds) {
        MeshView v = FixtureMesh.viewOfA();
        MeshNode c = v.node(C).orElseThrow();
        MeshNode d = v.node(D).orElseThrow();
        return v.with(c.withRecord(RecordStatus.valid(c.record().record().withPskIds(cIds))))
                .with(d.withRecord(RecordStatus.valid(d.record().record().withPskIds(dIds))));
    }

    private static LocalSettings settingsHolding(List<String> ids) {
        LocalSettings s = FixtureMesh.settingsOfA(CryptMode.REQUIRE);
        return s.withOwnRecord(s.ownRecord().withPskIds(ids));
    }

    @Test
    void aNodeWithAnotherSecretIsRefusedListedWithoutAllowedIpsAndItsRoutesGoElsewhere() {
        MeshPlan open = MeshPlanner.plan(settingsHolding(List.of(OLD)), viewWith(List.of(OLD), List.of(OLD)), null);
        assertTrue(open.peer(D).orElseThrow().allowedIps().contains(IpPrefix.parse("0.0.0.0/0")), "only D offers it");
        assertEquals(List.of(OLD), open.peer(D).orElseThrow().pskGenerations());

        MeshPlan plan = MeshPlanner.plan(settingsHolding(List.of(OLD)), viewWith(List.of(OLD), List.of(OTHER)), null);
        PlannedPeer c = plan.peer(C).orElseThrow();
        PlannedPeer d = plan.peer(D).orElseThrow();
        assertFalse(c.isRefused());
        assertEquals(List.of(OLD), c.pskGenerations());
        assertTrue(c.allowedIps().contains(IpPrefix.parse("10.99.0.0/16")), c.toString());
        assertTrue(plan.routes().stream().noneMatch(r -> r.prefix().equals(IpPrefix.parse("0.0.0.0/0"))),
                "what only D offers is routed nowhere (require)");
        assertTrue(d.isRefused());
        assertEquals(List.of(), d.allowedIps(), "a refused peer carries nothing");
        assertEquals("it holds none of this node's mesh secrets (it: 5c1e2f3a; this node: b2366f45)", d.refusal());
        assertEquals(List.of(OLD), d.pskGenerations(), "this node's current secret: the handshake cannot complete");
        assertTrue(plan.routes().stream().noneMatch(r -> r.via().equals(D)), "nothing is routed through D");
        assertTrue(plan.encryptedChoices().stream().noneMatch(ch -> ch.offer().gateway().equals(D)));
        assertEquals(List.of(new PlanIssue(PlanIssue.Kind.MESH_SECRET_MISMATCH, D, d.refusal())), plan.issues());
        assertEquals(List.of(C, D), plan.peers().stream().map(PlannedPeer::node).toList(), "sorted by node id");
    }

    @Test
    void withoutASecretNodesWithOneAreRefusedAndViceVersa() {
        MeshPlan none = MeshPlanner.plan(settingsHolding(List.of()), viewWith(List.of(), List.of(OTHER)), null);
        assertFalse(none.peer(C).orElseThrow().isRefused());
        assertEquals(List.of(), none.peer(C).orElseThrow().pskGenerations(), "plain WireGuard between the two");
        assertEquals("it holds a mesh secret (5c1e2f3a) and this node none", none.peer(D).orElseThrow().refusal());

        MeshPlan holding = MeshPlanner.plan(settingsHolding(List.of(OLD)), viewWith(List.of(), List.of(OLD)), null);
        assertEquals("it holds no mesh secret (this node: b2366f45)", holding.peer(C).orElseThrow().refusal());
        assertFalse(holding.peer(D).orElseThrow().isRefused());
    }

    @Test
    void duringARotationEachPairUsesItsSmallestSharedGenerationAndKeepsTheOthersAsAlternatives() {
        // A holds both; C already holds only the new one; D still only the old one
        MeshPlan plan = MeshPlanner.plan(settingsHolding(List.of(OLD, NEW)), viewWith(List.of(NEW), List.of(OLD)), null);
        assertEquals(List.of(NEW, OLD), plan.peer(C).orElseThrow().pskGenerations());
        assertEquals(List.of(OLD, NEW), plan.peer(D).orElseThrow().pskGenerations());
        assertEquals(List.of(), plan.issues());
        // both hold both: the one both list first; where they list them differently, the smaller id
        MeshPlan both = MeshPlanner.plan(settingsHolding(List.of(OLD, NEW)), viewWith(List.of(NEW, OLD), List.of(OLD, NEW)),
                null);
        assertEquals(List.of(NEW, OLD), both.peer(C).orElseThrow().pskGenerations());
        assertEquals(List.of(OLD, NEW), both.peer(D).orElseThrow().pskGenerations());
    }

    @Test
    void aRefusedNodeThatWouldNotBeAPeerAnywayIsNotListed() {
        MeshView v = viewWith(List.of(OLD), List.of(OTHER));
        MeshNode self = v.node(A).orElseThrow();
        // A neither searches nor offers anything: no node would be its peer
        MeshView quiet = v.with(self.withNetworks(List.of()));
        LocalSettings s = settingsHolding(List.of(OLD)).withSearches(List.of());
        MeshPlan plan = MeshPlanner.plan(s, quiet, null);
        assertEquals(List.of(), plan.peers());
        assertEquals(List.of(PlanIssue.Kind.MESH_SECRET_MISMATCH), plan.issues().stream().map(PlanIssue::kind).toList());
    }

    @Test
    void aRefusedPeerIsAllowedNothing() {
        NodeId n = C;
        assertThrows(IllegalArgumentException.class, () -> new PlannedPeer(n, new byte[32], n.primaryAddress(), 1,
                List.of(IpPrefix.parse("10.0.0.0/8")), List.of(OLD), "no"));
        assertNull(new PlannedPeer(n, new byte[32], n.primaryAddress(), 1, List.of()).refusal());
    }
}
