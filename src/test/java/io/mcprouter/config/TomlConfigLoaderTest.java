package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TomlConfigLoaderTest {

  @TempDir Path dir;

  private Path write(String toml) throws IOException {
    Path file = dir.resolve("router.toml");
    Files.writeString(file, toml);
    return file;
  }

  private RouterConfig load(String toml) throws IOException {
    return TomlConfigLoader.load(write(toml));
  }

  /** Loads {@code toml}, expecting a ConfigException, and returns its message. */
  private String error(String toml) throws IOException {
    Path file = write(toml);
    String message =
        assertThrows(ConfigException.class, () -> TomlConfigLoader.load(file)).getMessage();
    assertTrue(
        message.startsWith(file.toString()) || message.contains(file.toString()),
        "names the file: " + message);
    return message;
  }

  private static void assertContains(String expected, String actual) {
    assertTrue(actual.contains(expected), () -> "expected '" + expected + "' in: " + actual);
  }

  @Test
  void shortFormMapsAKeyToASharedCommandWithDefaults() throws IOException {
    Path file = write("[mcp_server_commands]\nfetch = \"uvx mcp-server-fetch\"\n");
    RouterConfig config = TomlConfigLoader.load(file);
    assertEquals(file, config.source());
    assertEquals(
        Map.of("fetch", ServerSpec.ofCommand("fetch", "uvx mcp-server-fetch")), config.servers());
    ServerSpec fetch = config.server("fetch").orElseThrow();
    assertEquals("uvx mcp-server-fetch", fetch.command());
    assertTrue(fetch.shareProcess());
    assertEquals(Map.of(), fetch.env());
    assertEquals(Optional.empty(), fetch.cwd());
    assertEquals(Optional.empty(), fetch.description());
  }

  @Test
  void listenDefaultsAreLoopbackOn8025And8027() throws IOException {
    RouterConfig config = load("");
    assertEquals(new RouterConfig.Listen("127.0.0.1", 8025), config.proxyServer());
    assertEquals(new RouterConfig.Listen("127.0.0.1", 8027), config.apiServer());
    assertEquals(Map.of(), config.servers());
    assertEquals(Optional.empty(), config.server("fetch"));
  }

  @Test
  void listenSectionsOverrideHostAndPort() throws IOException {
    RouterConfig config =
        load("[proxy_server]\nhost = \"0.0.0.0\"\nport = 9000\n\n[api_server]\nport = 0\n");
    assertEquals(new RouterConfig.Listen("0.0.0.0", 9000), config.proxyServer());
    assertEquals(new RouterConfig.Listen("127.0.0.1", 0), config.apiServer());
  }

  @Test
  void fullFormAsInlineTableReadsEveryField() throws IOException {
    RouterConfig config =
        load(
            "[mcp_servers]\nfs = { command = \"npx -y server-fs\", share_process = false, "
                + "env = { A = \"b\", PATH_EXTRA = \"/opt\" }, cwd = \""
                + dir
                + "\" }\n");
    assertEquals(
        new ServerSpec(
            "fs",
            "npx -y server-fs",
            false,
            Map.of("A", "b", "PATH_EXTRA", "/opt"),
            Optional.of(dir.toString()),
            Optional.empty()),
        config.server("fs").orElseThrow());
  }

  @Test
  void fullFormAsSectionReadsEveryField() throws IOException {
    RouterConfig config =
        load(
            "[mcp_servers.git]\ncommand = \"uvx mcp-server-git\"\nshare_process = true\n"
                + "description = \"Git tools\"\n\n[mcp_servers.git.env]\nTOKEN = \"t\"\n");
    assertEquals(
        new ServerSpec(
            "git",
            "uvx mcp-server-git",
            true,
            Map.of("TOKEN", "t"),
            Optional.empty(),
            Optional.of("Git tools")),
        config.server("git").orElseThrow());
  }

  @Test
  void bothTablesContributeServers() throws IOException {
    RouterConfig config =
        load(
            "[mcp_server_commands]\nfetch = \"uvx mcp-server-fetch\"\n\n"
                + "[mcp_servers.time]\ncommand = \"uvx mcp-server-time\"\nshare_process = false\n");
    assertEquals(2, config.servers().size());
    assertTrue(config.server("fetch").orElseThrow().shareProcess());
    assertEquals(false, config.server("time").orElseThrow().shareProcess());
  }

  // RouterConfig promises to keep the file's order; toml4j hands tables over as HashMaps, so it
  // does not.
  @Test
  void serversKeepTheFilesOrder() throws IOException {
    RouterConfig config =
        load(
            "[mcp_server_commands]\nzeta = \"z\"\nalpha = \"a\"\nmike = \"m\"\nbravo = \"b\"\n\n"
                + "[mcp_servers.yankee]\ncommand = \"y\"\n\n[mcp_servers.charlie]\ncommand = \"c\"\n");
    assertEquals(
        List.of("zeta", "alpha", "mike", "bravo", "yankee", "charlie"),
        List.copyOf(config.servers().keySet()));
  }

  @Test
  void keyInBothTablesIsAnErrorNamingTheKey() throws IOException {
    String message =
        error("[mcp_server_commands]\nfetch = \"a\"\n\n[mcp_servers.fetch]\ncommand = \"b\"\n");
    assertContains(
        "server key 'fetch' is defined in both [mcp_server_commands] and [mcp_servers]", message);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"bad key\"",
        "\"a/b\"",
        "\"\u00e9t\u00e9\"",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      })
  void invalidShortFormKeyIsRejectedByName(String key) throws IOException {
    String bare = key.replace("\"", "");
    assertContains(
        "invalid server key '" + bare + "' in [mcp_server_commands]",
        error("[mcp_server_commands]\n" + key + " = \"cmd\"\n"));
  }

  /**
   * A key is a URL path segment: clients and proxies resolve "." and ".." away, so they name
   * nothing.
   */
  @ParameterizedTest
  @ValueSource(strings = {"\".\"", "\"..\"", "\"...\""})
  void aKeyOfDotsOnlyIsRejected(String key) throws IOException {
    String bare = key.replace("\"", "");
    assertContains(
        "invalid server key '" + bare + "' in [mcp_server_commands]: a key of dots only",
        error("[mcp_server_commands]\n" + key + " = \"cmd\"\n"));
    assertContains(
        "invalid server key '" + bare + "' in [mcp_servers]",
        error("[mcp_servers]\n" + key + " = { command = \"cmd\" }\n"));
  }

  @Test
  void inheritEnvDefaultsToTrueAndCanBeSwitchedOff() throws IOException {
    RouterConfig config =
        load(
            "[mcp_server_commands]\nshort = \"cmd\"\n[mcp_servers]\n"
                + "bare = { command = \"cmd\", inherit_env = false }\nfull = { command = \"cmd\" }\n");
    assertTrue(config.server("short").orElseThrow().inheritEnv());
    assertTrue(config.server("full").orElseThrow().inheritEnv());
    assertEquals(false, config.server("bare").orElseThrow().inheritEnv());
    assertContains(
        "'mcp_servers.x.inherit_env' must be true or false",
        error("[mcp_servers.x]\ncommand = \"c\"\ninherit_env = \"no\"\n"));
  }

  @Test
  void invalidSectionKeyIsRejectedByName() throws IOException {
    assertContains(
        "invalid server key 'my key' in [mcp_servers]",
        error("[mcp_servers.\"my key\"]\ncommand = \"cmd\"\n"));
  }

  @Test
  void keyOf64AllowedCharactersIsAccepted() throws IOException {
    String key = "A-z_0.9" + "k".repeat(57);
    assertEquals(64, key.length());
    assertTrue(load("[mcp_server_commands]\n\"" + key + "\" = \"cmd\"\n").server(key).isPresent());
  }

  @Test
  void invalidTomlNamesTheLine() throws IOException {
    String message =
        error("[mcp_server_commands]\nfetch = \"uvx mcp-server-fetch\"\nthis is not toml\n");
    assertTrue(message.startsWith("invalid TOML in "), message);
    assertContains("line 3", message);
    assertTrue(!message.contains("\n"), "one line: " + message);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "[mcp_servers.x]\\ncommand = \"c\"\\nshare = true | unknown field 'mcp_servers.x.share'",
        "[proxy_server]\\nbind = \"0.0.0.0\" | unknown field 'proxy_server.bind'",
        "[api_server]\\nport = 1\\nhosts = \"h\" | unknown field 'api_server.hosts'"
      })
  void unknownFieldIsNamed(String toml, String expected) throws IOException {
    assertContains(expected, error(toml.replace("\\n", "\n")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "[proxy_server]\\nport = \"8025\" | 'proxy_server.port' must be an integer from 0 to 65535",
        "[api_server]\\nport = 70000 | 'api_server.port' must be an integer from 0 to 65535",
        "[api_server]\\nport = -1 | 'api_server.port' must be an integer from 0 to 65535",
        "[proxy_server]\\nport = 8025.0 | 'proxy_server.port' must be an integer from 0 to 65535",
        "[proxy_server]\\nhost = 1 | 'proxy_server.host' must be a non-empty string",
        "proxy_server = 8025 | 'proxy_server' must be a table",
        "[mcp_servers.x]\\ncommand = \"c\"\\nshare_process = \"false\" | 'mcp_servers.x.share_process' must be true or false",
        "[mcp_servers.x]\\ncommand = \"c\"\\nenv = { A = 1 } | 'mcp_servers.x.env.A' must be a string",
        "[mcp_servers.x]\\ncommand = \"c\"\\nenv = \"A=b\" | 'mcp_servers.x.env' must be a table",
        "[mcp_servers.x]\\nshare_process = true | 'mcp_servers.x.command' must be a non-empty string",
        "[mcp_servers.x]\\ncommand = \"  \" | 'mcp_servers.x.command' must be a non-empty string",
        "[mcp_servers]\\nx = \"cmd\" | 'mcp_servers.x' must be a table",
        "[mcp_server_commands]\\nx = 5 | 'mcp_server_commands.x' must be a non-empty string",
        "mcp_server_commands = \"x\" | 'mcp_server_commands' must be a table"
      })
  void wrongTypeIsRejectedNamingTheField(String toml, String expected) throws IOException {
    assertContains(expected, error(toml.replace("\\n", "\n")));
  }

  @Test
  void cwdThatIsNotADirectoryIsRejected() throws IOException {
    Path missing = dir.resolve("does-not-exist");
    assertContains(
        "'mcp_servers.x.cwd' is not a directory: " + missing,
        error("[mcp_servers.x]\ncommand = \"c\"\ncwd = \"" + missing + "\"\n"));
    Path file = Files.writeString(dir.resolve("plain-file"), "");
    assertContains(
        "'mcp_servers.x.cwd' is not a directory: " + file,
        error("[mcp_servers.x]\ncommand = \"c\"\ncwd = \"" + file + "\"\n"));
  }

  @Test
  void missingFileIsAConfigExceptionNamingIt() {
    Path missing = dir.resolve("nope.toml");
    ConfigException e = assertThrows(ConfigException.class, () -> TomlConfigLoader.load(missing));
    assertEquals("cannot read config file " + missing, e.getMessage());
  }

  @Test
  void perKeyTimeoutsAcceptSecondsOrDurations() throws IOException {
    RouterConfig config =
        load(
            """
        [mcp_servers]
        a = { command = "x", request_timeout = 90, idle_timeout = "0" }
        b = { command = "y", request_timeout = "1500ms", idle_timeout = "10m" }
        c = { command = "z" }
        """);
    assertEquals(Optional.of(Duration.ofSeconds(90)), config.servers().get("a").requestTimeout());
    assertEquals(Optional.of(Duration.ZERO), config.servers().get("a").idleTimeout());
    assertEquals(Optional.of(Duration.ofMillis(1500)), config.servers().get("b").requestTimeout());
    assertEquals(Optional.of(Duration.ofMinutes(10)), config.servers().get("b").idleTimeout());
    assertEquals(Optional.empty(), config.servers().get("c").requestTimeout());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> load("[mcp_servers]\nd = { command = \"x\", request_timeout = \"soon\" }\n"));
    assertTrue(e.getMessage().contains("mcp_servers.d.request_timeout"), e.getMessage());
  }

  @Test
  void perKeySessionTimeoutsAreReadAndZeroIsRefused() throws IOException {
    RouterConfig config =
        load(
            """
        [mcp_servers]
        a = { command = "x", detached_timeout = "5s", session_idle_timeout = "2m" }
        b = { command = "y" }
        """);
    assertEquals(Optional.of(Duration.ofSeconds(5)), config.servers().get("a").detachedTimeout());
    assertEquals(
        Optional.of(Duration.ofMinutes(2)), config.servers().get("a").sessionIdleTimeout());
    assertEquals(Optional.empty(), config.servers().get("b").detachedTimeout());
    assertEquals(
        Optional.of(Duration.ofSeconds(5)),
        config.servers().get("a").withSharedProcess().detachedTimeout(),
        "the REST child of a per-session key keeps the key's settings");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> load("[mcp_servers]\nd = { command = \"x\", detached_timeout = 0 }\n"));
    assertTrue(e.getMessage().contains("mcp_servers.d.detached_timeout"), e.getMessage());
  }

  @Test
  void isolationSettingsDefaultToAttributionNoRootsAndNoStderr() throws IOException {
    ServerSpec spec = load("[mcp_servers.fs]\ncommand = \"x\"\n").servers().get("fs");
    assertEquals(ServerSpec.Interactive.ATTRIBUTE, spec.interactive());
    assertEquals(List.of(), spec.roots());
    assertEquals(false, spec.exposeStderr());
  }

  @Test
  void isolationSettingsAreReadAndRootsBecomeFileUris() throws IOException {
    ServerSpec spec =
        load("[mcp_servers.fs]\ncommand = \"x\"\ninteractive = \"serialize\"\n"
                + "roots = [\"file:///srv/data\", \"/srv/other/../more/\"]\nexpose_stderr = true\n")
            .servers()
            .get("fs");
    assertEquals(ServerSpec.Interactive.SERIALIZE, spec.interactive());
    assertEquals(List.of("file:///srv/data", "file:///srv/more"), spec.roots());
    assertEquals(true, spec.exposeStderr());
    assertEquals(
        spec.roots(),
        spec.withSharedProcess().roots(),
        "the REST child of a per-session key keeps them");
  }

  @Test
  void badIsolationSettingsAreErrorsNamingTheField() throws IOException {
    assertContains(
        "'mcp_servers.fs.interactive' must be \"attribute\" or \"serialize\"",
        error("[mcp_servers.fs]\ncommand = \"x\"\ninteractive = \"sometimes\"\n"));
    assertContains(
        "'mcp_servers.fs.roots' entries must be file:// URIs or absolute paths, not 'data'",
        error("[mcp_servers.fs]\ncommand = \"x\"\nroots = [\"data\"]\n"));
    assertContains(
        "'mcp_servers.fs.roots' must be an array",
        error("[mcp_servers.fs]\ncommand = \"x\"\nroots = \"/srv\"\n"));
    assertContains(
        "'mcp_servers.fs.expose_stderr' must be true or false",
        error("[mcp_servers.fs]\ncommand = \"x\"\nexpose_stderr = \"yes\"\n"));
  }
}
