package io.cryptun.packaging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The package's changelog (usr/share/doc/cryptun/changelog.gz; cryptun is a native package, built
 * by the project itself): one entry for the version being built. A snapshot's entry names the
 * commit it was built from, whose history is the project's git log; a release's names the release.
 * The version and date must be the package's own (dpkg and lintian compare them).
 */
final class DebianChangelog {
    private static final Pattern SNAPSHOT = Pattern.compile(".*~SNAPSHOT\\.(\\d{14})\\.g([0-9a-f]+)");

    private DebianChangelog() {
    }

    /** version: the Debian version; maintainer: "Name <address>"; date: RFC 5322, as dpkg wants it. */
    static String render(String version, String maintainer, String date) {
        Matcher m = SNAPSHOT.matcher(version);
        String what;
        if (m.matches()) {
            what = "  * Development snapshot built from commit " + m.group(2) + " of the cryptun\n"
                    + "    repository (committed " + m.group(1) + " UTC); the changes are that\n"
                    + "    repository's history (git log).\n";
        } else if (version.contains("~SNAPSHOT")) {
            what = "  * Development snapshot built outside a git checkout (the version carries\n"
                    + "    the build time).\n";
        } else {
            what = "  * Release " + version + ".\n";
        }
        return "cryptun (" + version + ") unstable; urgency=medium\n\n" + what + "\n -- " + maintainer + "  " + date + "\n";
    }
}
