package io.cryptun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which command lines start the warm-up before parsing: those that run an interface in this process. */
class MainWordsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-f wg0 | true",
        "wg0 -f | true",
        "--foreground wg0 | true",
        "--crypto bc -f wg0 | true",
        "up wg0 --config /etc/wireguard/wg0.conf | true",
        "demo | true",
        "wg0 | false",
        "mesh ct0 | false",
        "genkey | false",
        "show | false",
        "show wg0 | false",
        "train | false",
        "--help | false",
        "-V | false",
        "help up | false",
    })
    void runsAnInterfaceHere(String words, boolean expected) {
        assertEquals(expected, Main.runsAnInterfaceHere(words.split(" ")), words);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"-f wg0 | auto", "--crypto bc -f wg0 | bc", "up wg0 --crypto=jdk | jdk"})
    void cryptoOption(String words, String expected) {
        assertEquals(expected, Main.cryptoOption(words.split(" ")), words);
    }
}
