package io.cryptun.routing.reactor;

import io.cryptun.routing.bmx7.Bmx7ControlClient;

import java.io.IOException;

/** A way of reading bmx7's view of the mesh: its json plugin's files or its control socket. */
public interface Bmx7Feed {
    Bmx7Reading read() throws IOException;

    /** How often to read without a change notification: files are watched, the socket is not. */
    long pollMillis();

    /** Short name for logs. */
    String name();

    static Bmx7Feed json(MeshConfig config) {
        return new JsonFeed(config.jsonDir(), config.receivedSmsDir(), config.smsName());
    }

    static Bmx7Feed socket(MeshConfig config, Bmx7ControlClient client) {
        return new SocketFeed(client, config.smsName());
    }

    /** The json files when bmx7 writes them (plugin bmx7_json.so loaded), else the control socket. */
    static Bmx7Feed auto(MeshConfig config, Bmx7ControlClient client) {
        return new AutoFeed(config.jsonDir(), json(config), socket(config, client));
    }
}
