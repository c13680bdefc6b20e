package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reload changes, key by key, and which changes need a restart. */
class ConfigDiffTest {

  @TempDir Path dir;

  private RouterConfig load(String toml) throws Exception {
    Path file = Files.createTempFile(dir, "env", ".toml");
    Files.writeString(file, toml);
    return TomlConfigLoader.load(file);
  }

  @Test
  void eachKeyIsAddedRemovedRestartedUpdatedOrUnchanged() throws Exception {
    RouterConfig before =
        load(
            """
            [mcp_servers.same]
            command = "a"
            [mcp_servers.dropped]
            command = "a"
            [mcp_servers.relaunched]
            command = "a"
            env = { X = "1" }
            [mcp_servers.tuned]
            command = "a"
            request_timeout = "10s"
            """);
    RouterConfig after =
        load(
            """
            [mcp_servers.same]
            command = "a"
            [mcp_servers.relaunched]
            command = "a"
            env = { X = "2" }
            share_process = false
            [mcp_servers.tuned]
            command = "a"
            request_timeout = "20s"
            description = "now described"
            [mcp_servers.new]
            command = "b"
            """);
    ConfigDiff diff = ConfigDiff.between(before, after);
    assertEquals(List.of("new"), diff.added());
    assertEquals(List.of("dropped"), diff.removed());
    assertEquals(Map.of("relaunched", List.of("share_process", "env")), diff.restarted());
    assertEquals(Map.of("tuned", List.of("description", "request_timeout")), diff.updated());
    assertEquals(List.of("same"), diff.unchanged());
    assertTrue(diff.needsRestart().isEmpty());
    assertFalse(diff.accessKeysChanged());
    String summary = diff.summary();
    assertFalse(summary.contains("2"), "an env value is never in the summary: " + summary);
  }

  @Test
  void sameFileIsNoChange() throws Exception {
    String toml = "[mcp_servers.a]\ncommand = \"a\"\nroots = [\"file:///tmp\"]\n";
    ConfigDiff diff = ConfigDiff.between(load(toml), load(toml));
    assertTrue(diff.isEmpty());
    assertEquals("no change", diff.summary());
  }

  @Test
  void rootsAndInteractiveRestartTheKey() throws Exception {
    ConfigDiff diff =
        ConfigDiff.between(
            load("[mcp_servers.a]\ncommand = \"a\"\n"),
            load(
                "[mcp_servers.a]\ncommand = \"a\"\ninteractive = \"serialize\"\n"
                    + "roots = [\"file:///tmp\"]\n"));
    assertEquals(Map.of("a", List.of("interactive", "roots")), diff.restarted());
  }

  @Test
  void listenChangesNeedARestartAndSecretsAreSeenChanged() throws Exception {
    String server = "[mcp_servers.a]\ncommand = \"a\"\n";
    ConfigDiff diff =
        ConfigDiff.between(
            load(
                server
                    + "[admin]\ntoken = \"old-token-0123456789\"\n"
                    + "[access_keys.alice]\nsecret = \"alice-secret-0123456789abcdef\"\nservers = [\"a\"]\n"),
            load(
                "[proxy_server]\nport = 9025\n"
                    + server
                    + "[admin]\ntoken = \"new-token-0123456789\"\n"
                    + "[access_keys.alice]\nsecret = \"alice-other-0123456789abcdef\"\nservers = [\"a\"]\n"));
    assertTrue(diff.accessKeysChanged(), "same name, new secret");
    assertTrue(diff.adminTokenChanged());
    assertEquals(2, diff.needsRestart().size(), diff.needsRestart().toString());
    assertTrue(diff.needsRestart().get(0).contains("[proxy_server] changed"));
    assertFalse(diff.summary().contains("token-0123"), diff.summary());
    assertFalse(diff.summary().contains("alice-"), diff.summary());
  }
}
