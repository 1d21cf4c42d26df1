package io.cryptun.cli.uapi;

import java.util.List;

/** Real UAPI requests (as wg set and wg-quick send them) for fuzz seeds. */
final class UapiSeeds {
    static final String PRIV = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
    static final String PUB1 = "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33";
    static final String PUB2 = "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376";
    static final String PSK = "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52";

    private UapiSeeds() {
    }

    /** Set request bodies: the lines after set=1, without the blank line. */
    static List<String> setBodies() {
        return List.of(
                "private_key=" + PRIV + "\nlisten_port=51820\nfwmark=0\nreplace_peers=true\npublic_key=" + PUB1
                        + "\npreshared_key=" + PSK + "\nendpoint=192.0.2.1:51820\npersistent_keepalive_interval=25"
                        + "\nreplace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=fd00::2/128\nprotocol_version=1",
                "public_key=" + PUB2 + "\nendpoint=[2001:db8::1%3]:51820\nallowed_ip=0.0.0.0/0\nallowed_ip=-10.1.0.0/16",
                "public_key=" + PUB1 + "\nupdate_only=true\nremove=true",
                "private_key=0000000000000000000000000000000000000000000000000000000000000000",
                "listen_port=0\nfwmark=4294967295",
                "public_key=" + PUB2 + "\npreshared_key=zz\nallowed_ip=10.0.0.0");
    }

    /** Whole streams: operations one after the other, as a client could send them on one connection. */
    static List<String> streams() {
        List<String> l = new java.util.ArrayList<>();
        for (String body : setBodies()) {
            l.add("set=1\n" + body + "\n\n");
        }
        l.add("get=1\n\n");
        l.add("set=1\n" + setBodies().get(0) + "\n\nget=1\n\n" + UapiConnection.STATS_OP + "\n\n");
        l.add("get=1\nx\n\nget=1\n\n");
        l.add("set=1\npublic_key=" + PUB1 + "\n");
        l.add("frobnicate=1\n\n");
        return l;
    }
}
