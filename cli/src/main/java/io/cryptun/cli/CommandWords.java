package io.cryptun.cli;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * `cryptun WORD` runs an interface named WORD (the form wg-quick uses), so a mistyped or guessed
 * command would otherwise silently create a TUN device and a daemon. A word that reads as a
 * command is refused instead, with what was probably meant: the name of a command in another case
 * or one typing slip away (for names of letters only: wg0, mesh0 or home-vpn never clash), and a
 * few words other tools use for their commands.
 */
final class CommandWords {
    /** Command words of other tools, and what does that here. */
    private static final Map<String, String> ELSEWHERE = new LinkedHashMap<>();

    static {
        ELSEWHERE.put("version", "cryptun --version");
        ELSEWHERE.put("usage", "cryptun --help");
        ELSEWHERE.put("start", "cryptun up IFNAME --config FILE, or cryptun IFNAME");
        ELSEWHERE.put("run", "cryptun up IFNAME --config FILE, or cryptun IFNAME");
        ELSEWHERE.put("stop", "wg-quick down IFNAME, or ip link delete IFNAME");
        ELSEWHERE.put("down", "wg-quick down IFNAME, or ip link delete IFNAME");
        ELSEWHERE.put("status", "cryptun show");
        ELSEWHERE.put("list", "cryptun show");
        ELSEWHERE.put("showconf", "wg showconf IFNAME");
        ELSEWHERE.put("setconf", "wg setconf IFNAME FILE");
    }

    private CommandWords() {
    }

    /**
     * Why {@code word}, given as an interface name, is refused (with a suggestion), or empty when
     * it may name an interface. {@code commands}: this program's command names.
     */
    static Optional<String> refusal(String word, Collection<String> commands) {
        if (!word.chars().allMatch(c -> c < 128 && Character.isLetter(c))) {
            return Optional.empty();
        }
        String lower = word.toLowerCase(Locale.ROOT);
        String meant = ELSEWHERE.get(lower);
        if (meant == null) {
            for (String c : commands) {
                if (lower.equals(c) || (lower.length() >= 3 && c.length() >= 3 && distance(lower, c) <= 1)) {
                    meant = "cryptun " + c;
                    break;
                }
            }
        }
        if (meant == null) {
            return Optional.empty();
        }
        return Optional.of("cryptun: '" + word + "' is not a cryptun command. Did you mean: " + meant + "?\n"
                + "(A word that reads as a command is not taken as an interface name either: give the"
                + " interface another name, e.g. wg0.)");
    }

    /** Edit distance with adjacent transpositions (optimal string alignment). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
