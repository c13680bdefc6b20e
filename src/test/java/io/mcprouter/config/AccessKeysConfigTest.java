package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code [access_keys]}: what loads, and every refusal naming its entry without quoting the secret.
 */
class AccessKeysConfigTest {

  static final String SERVERS = "[mcp_server_commands]\neverything = \"true\"\nmemory = \"true\"\n";
  static final String ALICE = "3f9a1c07be5d42e8a6c1f0d97b3e2a58";
  static final String BOB = "c47e0b9d2a18f6e35d90ab7c1e4f8d26";

  @TempDir Path dir;

  private Path write(String toml) throws IOException {
    Path file = dir.resolve("router.toml");
    Files.writeString(file, toml);
    return file;
  }

  private String error(String toml) throws IOException {
    Path file = write(toml);
    String message =
        assertThrows(ConfigException.class, () -> TomlConfigLoader.load(file)).getMessage();
    assertTrue(message.contains(file.toString()), "names the file: " + message);
    return message;
  }

  @Test
  void bothSecretFormsLoadAndMatchTheirBearer() throws Exception {
    RouterConfig config =
        TomlConfigLoader.load(
            write(
                SERVERS
                    + "[access_keys.alice]\nsecret = \""
                    + ALICE
                    + "\"\nservers = [\"everything\"]\n"
                    + "[access_keys.bob]\nsecret_sha256 = \""
                    + AccessKey.hex(AccessKey.sha256(BOB)).toUpperCase()
                    + "\"\n"
                    + "servers = [\"*\"]\nmay_stop = true\n"));
    assertTrue(config.accessKeysConfigured());
    AccessKey alice = config.accessKeys().get(0);
    AccessKey bob = config.accessKeys().get(1);
    assertEquals("alice", alice.name());
    assertTrue(alice.matches(AccessKey.sha256(ALICE)));
    assertFalse(alice.matches(AccessKey.sha256(BOB)));
    assertTrue(alice.mayUse("everything"));
    assertFalse(alice.mayUse("memory"));
    assertFalse(alice.mayStop("everything"), "may_stop defaults to false");
    assertEquals("everything", alice.soleServer().orElseThrow());
    assertTrue(bob.matches(AccessKey.sha256(BOB)), "secret_sha256 in upper-case hex");
    assertTrue(bob.mayUse("memory") && bob.mayStop("memory"));
    assertTrue(bob.soleServer().isEmpty(), "\"*\" names no single server");
    assertFalse(
        config.toString().contains(ALICE)
            || alice.toString().contains(AccessKey.hex(AccessKey.sha256(ALICE))),
        "neither the secret nor its hash is printed");
  }

  @Test
  void withoutTheTableNothingChanges() throws Exception {
    RouterConfig config = TomlConfigLoader.load(write(SERVERS));
    assertFalse(config.accessKeysConfigured());
    assertTrue(config.loadWarnings().isEmpty());
  }

  static Stream<Arguments> badEntries() {
    return Stream.of(
        Arguments.of(
            "too short",
            "secret = \"a1b2c3d4e5\"\nservers = [\"everything\"]",
            "'access_keys.alice.secret' is too weak"),
        Arguments.of(
            "too few different characters",
            "secret = \"abababababababababababab\"\nservers = [\"everything\"]",
            "'access_keys.alice.secret' is too weak"),
        Arguments.of(
            "not URL-safe",
            "secret = \"3f9a1c07be5d42e8/a6c1f0d97b3e2a58\"\nservers = [\"everything\"]",
            "'access_keys.alice.secret' may hold only"),
        Arguments.of(
            "empty",
            "secret = \"\"\nservers = [\"everything\"]",
            "'access_keys.alice.secret' must be a non-empty string"),
        Arguments.of(
            "both forms",
            "secret = \""
                + ALICE
                + "\"\nsecret_sha256 = \""
                + "00000000000000000000000000000000000000000000000000000000000000ff"
                + "\"\nservers = [\"everything\"]",
            "'access_keys.alice' needs exactly one of 'secret' and 'secret_sha256'"),
        Arguments.of(
            "neither form",
            "servers = [\"everything\"]",
            "'access_keys.alice' needs exactly one of 'secret' and 'secret_sha256'"),
        Arguments.of(
            "bad hash",
            "secret_sha256 = \"abc\"\nservers = [\"everything\"]",
            "'access_keys.alice.secret_sha256' must be 64 hex digits"),
        Arguments.of(
            "unknown server",
            "secret = \"" + ALICE + "\"\nservers = [\"everything\", \"nope\"]",
            "'access_keys.alice.servers' names unknown server key 'nope'"),
        Arguments.of(
            "no servers",
            "secret = \"" + ALICE + "\"\nservers = []",
            "'access_keys.alice.servers' must be a non-empty list"),
        Arguments.of(
            "star and more",
            "secret = \"" + ALICE + "\"\nservers = [\"*\", \"memory\"]",
            "'access_keys.alice.servers' mixes"),
        Arguments.of(
            "may_stop not boolean",
            "secret = \"" + ALICE + "\"\nservers = [\"*\"]\nmay_stop = \"yes\"",
            "'access_keys.alice.may_stop' must be true or false"),
        Arguments.of(
            "unknown field",
            "secret = \"" + ALICE + "\"\nservers = [\"*\"]\nmaystop = true",
            "unknown field 'access_keys.alice.maystop'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badEntries")
  void aBadEntryIsRefusedNamingIt(String what, String body, String expected) throws Exception {
    String message = error(SERVERS + "[access_keys.alice]\n" + body + "\n");
    assertTrue(message.contains(expected), what + ": " + message);
    assertFalse(message.contains(ALICE), "the message never quotes the secret: " + message);
  }

  @Test
  void aServerKeyIsNotASecret() throws Exception {
    String message =
        error(
            "[mcp_server_commands]\neverything-else-1234567 = \"true\"\n"
                + "[access_keys.alice]\nsecret = \"everything-else-1234567\"\nservers = [\"*\"]\n");
    assertTrue(message.contains("'access_keys.alice.secret' is a server key"), message);
  }

  @Test
  void twoKeysWithOneSecretAreRefusedAcrossForms() throws Exception {
    String message =
        error(
            SERVERS
                + "[access_keys.alice]\nsecret = \""
                + ALICE
                + "\"\nservers = [\"everything\"]\n"
                + "[access_keys.bob]\nsecret_sha256 = \""
                + AccessKey.hex(AccessKey.sha256(ALICE))
                + "\"\nservers = [\"memory\"]\n");
    assertTrue(message.contains("has the same secret as"), message);
    assertTrue(
        message.contains("access_keys.alice") && message.contains("access_keys.bob"), message);
    assertFalse(message.contains(ALICE), message);
  }

  @Test
  void theAdminTokenIsNotAnAccessKey() throws Exception {
    String message =
        error(
            SERVERS
                + "[admin]\ntoken = \""
                + ALICE
                + "\"\n"
                + "[access_keys.alice]\nsecret = \""
                + ALICE
                + "\"\nservers = [\"everything\"]\n");
    assertTrue(message.contains("'access_keys.alice' has the admin token as its secret"), message);
  }

  @Test
  void aSecretFileReadableByOthersIsWarnedAboutAtLoad() throws Exception {
    Path file =
        write(
            SERVERS
                + "[access_keys.alice]\nsecret = \""
                + ALICE
                + "\"\nservers = [\"everything\"]\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    List<String> warnings = TomlConfigLoader.load(file).loadWarnings();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(
        warnings.get(0).contains(file + " holds secrets") && warnings.get(0).contains("chmod 600"),
        warnings.get(0));
    assertFalse(warnings.get(0).contains(ALICE));

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertTrue(TomlConfigLoader.load(file).loadWarnings().isEmpty(), "mode 600 is quiet");
  }

  @Test
  void theAdminTokenInTheFileCountsAsASecret() throws Exception {
    Path file = write(SERVERS + "[admin]\ntoken = \"" + ALICE + "\"\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
    List<String> warnings = TomlConfigLoader.load(file).loadWarnings();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("readable by its group"), warnings.get(0));

    Path noSecret = dir.resolve("plain.toml");
    Files.writeString(noSecret, SERVERS);
    Files.setPosixFilePermissions(noSecret, PosixFilePermissions.fromString("rw-r--r--"));
    assertTrue(
        TomlConfigLoader.load(noSecret).loadWarnings().isEmpty(),
        "a file with no secret may be world-readable");
  }

  @Test
  void theExampleConfigHasNoAccessKeysAndItsCommentedExampleLoadsOnceFilledIn() throws Exception {
    Path example = Path.of(".env.example.toml");
    assertFalse(
        TomlConfigLoader.load(example).accessKeysConfigured(),
        "the README's curls need a config without access keys");
    String text = Files.readString(example);
    String uncommented =
        text.replaceAll(
                "(?m)^# (\\[access_keys\\.|(?:secret|secret_sha256|servers|may_stop) =)", "$1")
            .replace("replace-with-the-output-of-openssl-rand-hex-32", ALICE)
            .replace("replace-with-64-hex-digits", AccessKey.hex(AccessKey.sha256(BOB)));
    RouterConfig config = TomlConfigLoader.load(write(uncommented));
    assertEquals(
        List.of("alice", "ci"), config.accessKeys().stream().map(AccessKey::name).toList());
    assertTrue(config.accessKeys().get(1).mayStop("memory"));
  }
}
