package io.cryptun.packaging;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * cryptun(8) in roff, written from the picocli model of the command line, so the page always
 * lists the options and subcommands the program really has. Sections that the model does not
 * hold (files, environment, examples) are fixed text here.
 */
public final class ManPage {
    private ManPage() {
    }

    public static String render(CommandLine root, String version) {
        CommandSpec spec = root.getCommandSpec();
        StringBuilder sb = new StringBuilder();
        sb.append(".\\\" Generated from the picocli model of the cryptun command line; do not edit.\n");
        sb.append(".TH CRYPTUN 8 \"\" \"cryptun ").append(text(version)).append("\" \"System Administration\"\n");
        sb.append(".SH NAME\ncryptun \\- userspace WireGuard for mesh networks\n");

        sb.append(".SH SYNOPSIS\n");
        sb.append(synopsis(root)).append(".br\n");
        for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
            if (!e.getValue().getCommandSpec().usageMessage().hidden() && !e.getKey().equals("help")) {
                sb.append(synopsis(e.getValue())).append(".br\n");
            }
        }

        sb.append(".SH DESCRIPTION\n");
        paragraphs(sb, spec.usageMessage().description());
        sb.append(".PP\ncryptun speaks the cross\\-platform userspace API of WireGuard on\n")
                .append(".IR /var/run/wireguard/IFNAME.sock ,\nso\n")
                .append(".BR wg (8)\nand\n.BR wg\\-quick (8)\nmanage it as they manage wireguard\\-go:\n.PP\n")
                .append(".RS\n.nf\nWG_QUICK_USERSPACE_IMPLEMENTATION=cryptun wg\\-quick up wg0\n.fi\n.RE\n");

        sb.append(".SH OPTIONS\n");
        options(sb, spec);

        sb.append(".SH COMMANDS\n");
        for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (sub.usageMessage().hidden() || e.getKey().equals("help")) {
                continue;
            }
            sb.append(".SS ").append(text(e.getKey())).append('\n');
            sb.append(synopsis(e.getValue()));
            sb.append(".PP\n");
            paragraphs(sb, sub.usageMessage().description());
            options(sb, sub);
        }

        sb.append(".SH ENVIRONMENT\n");
        env(sb, "LOG_LEVEL", "verbose (or debug) logs protocol events; error logs only errors; default: info.");
        env(sb, "WG_PROCESS_FOREGROUND", "1 keeps cryptun IFNAME in the foreground, as -f does.");
        env(sb, "CRYPTUN_JAVA", "the java binary the launcher runs (default: the newest JDK 17+ under /usr/lib/jvm).");
        env(sb, "CRYPTUN_JAR", "the cryptun jar the launcher runs (default: /usr/share/cryptun/cryptun.jar).");
        env(sb, "CRYPTUN_JAVA_OPTS", "extra options for the Java virtual machine.");
        env(sb, "CRYPTUN_OFFLOAD", "off opens the TUN device without virtio-net headers: one packet per read and write,"
                + " no TCP/UDP super-packets.");
        env(sb, "CRYPTUN_UDP_GSO", "off sends each UDP datagram on its own, without segmentation offload.");
        env(sb, "NOTIFY_SOCKET", "set by systemd for Type=notify: cryptun sends READY=1 once the interface answers.");

        sb.append(".SH FILES\n");
        file(sb, "/var/run/wireguard/IFNAME.sock", "the userspace API socket (mode 0600); deleting it stops the interface.");
        file(sb, "/etc/wireguard/IFNAME.conf", "the configuration cryptun@IFNAME.service starts with.");
        file(sb, "/lib/systemd/system/cryptun@.service", "the systemd unit (Type=notify): systemctl enable --now cryptun@wg0.");
        file(sb, "/lib/systemd/system/cryptun-mesh@.service", "the systemd unit of a mesh node: runs cryptun mesh IFNAME"
                + " @/etc/cryptun/IFNAME.conf after bmx7.service, which it starts, and is stopped and restarted with bmx7.service"
                + " (when that unit exists), restarting on failure: cp /etc/cryptun/mesh.conf.example /etc/cryptun/ct0.conf,"
                + " edit it, then systemctl enable --now cryptun-mesh@ct0.");
        file(sb, "/etc/cryptun/IFNAME.conf", "the options of cryptun mesh IFNAME for cryptun-mesh@IFNAME.service, written as on the"
                + " command line, one or more per line; # starts a comment (the unit passes the file as an @FILE argument).");
        file(sb, "/etc/cryptun/mesh.conf.example", "a commented example of IFNAME.conf.");
        file(sb, "/etc/cryptun/IFNAME.key", "the private key of cryptun mesh IFNAME (mode 0600), created on the first start.");
        sb.append(".SH EXIT STATUS\n0 on success, and when stopped by SIGTERM or SIGINT; 1 on an error; 2 on a command line"
                + " error, including a word that reads as a command given as IFNAME.\n");
        sb.append(".SH SEE ALSO\n.BR wg (8),\n.BR wg\\-quick (8),\n.BR systemd.service (5)\n");
        return sb.toString();
    }

    private static String synopsis(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        StringBuilder sb = new StringBuilder(".B ").append(text(spec.qualifiedName())).append('\n');
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            String name = o.longestName();
            String arg = o.typeInfo().isBoolean() ? "" : " \\fI" + text(o.paramLabel()) + "\\fR";
            sb.append(o.required() ? "" : "[").append("\\fB").append(text(name)).append("\\fR").append(arg)
                    .append(o.required() ? "" : "]").append('\n');
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            boolean optional = p.arity().min() == 0;
            sb.append(optional ? "[" : "").append("\\fI").append(text(p.paramLabel())).append("\\fR")
                    .append(optional ? "]" : "").append('\n');
        }
        return sb.toString();
    }

    private static void options(StringBuilder sb, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            sb.append(".TP\n");
            String[] names = o.names();
            for (int i = 0; i < names.length; i++) {
                sb.append(i > 0 ? ", " : "").append("\\fB").append(text(names[i])).append("\\fR");
            }
            if (!o.typeInfo().isBoolean()) {
                sb.append(" \\fI").append(text(o.paramLabel())).append("\\fR");
            }
            sb.append('\n');
            // one description element is one line of the usage help, as it is here (the --crypt modes)
            sb.append(describe(o.description(), o.defaultValue()).stream().map(ManPage::text)
                    .collect(Collectors.joining("\n.br\n"))).append('\n');
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.hidden() || p.description().length == 0) {
                continue;
            }
            sb.append(".TP\n\\fI").append(text(p.paramLabel())).append("\\fR\n")
                    .append(text(String.join(" ", p.description()))).append('\n');
        }
    }

    private static List<String> describe(String[] lines, String defaultValue) {
        return List.of(lines).stream().map(l -> l.replace("${DEFAULT-VALUE}", String.valueOf(defaultValue))).toList();
    }

    /** Description lines: an empty line starts a new paragraph. */
    private static void paragraphs(StringBuilder sb, String[] lines) {
        StringBuilder para = new StringBuilder();
        for (String l : lines) {
            if (l.isBlank()) {
                if (para.length() > 0) {
                    sb.append(text(para.toString().strip())).append("\n.PP\n");
                    para.setLength(0);
                }
            } else {
                para.append(l.strip()).append(' ');
            }
        }
        if (para.length() > 0) {
            sb.append(text(para.toString().strip())).append('\n');
        }
    }

    private static void env(StringBuilder sb, String name, String what) {
        sb.append(".TP\n.B ").append(name).append('\n').append(text(what)).append('\n');
    }

    private static void file(StringBuilder sb, String path, String what) {
        sb.append(".TP\n.I ").append(text(path)).append('\n').append(text(what)).append('\n');
    }

    /** Text safe in roff: backslashes and hyphens escaped, no line starting with a control character. */
    static String text(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder out = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (out.length() > 0) {
                out.append('\n');
            }
            if (line.startsWith(".") || line.startsWith("'")) {
                out.append("\\&");
            }
            out.append(line);
        }
        return out.toString();
    }
}
