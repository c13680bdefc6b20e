package io.mcprouter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mcprouter check}: exit 0 and what would be served, or exit 1 and the error. */
class ConfigCheckTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int check(String toml) throws Exception {
    Path file = dir.resolve(".env.toml");
    Files.writeString(file, toml);
    return ConfigCheck.run(
        file,
        dir,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aValidConfigPrintsItsKeysAndNoSecret() throws Exception {
    int status =
        check(
            """
            [admin]
            token = "admin-token-0123456789"
            [mcp_servers.fetch]
            command = "uvx mcp-server-fetch"
            env = { API_KEY = "env-secret-value" }
            [mcp_servers.time]
            command = "uvx mcp-server-time"
            share_process = false
            protocol = "legacy"
            [access_keys.alice]
            secret = "alice-secret-0123456789abcdef"
            servers = ["fetch"]
            """);
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    assertTrue(printed.contains("valid, 2 server key(s)"), printed);
    assertTrue(
        printed.contains(
            "fetch: command=uvx mcp-server-fetch share_process=true protocol=auto env=[API_KEY]"),
        printed);
    assertTrue(
        printed.contains("time: command=uvx mcp-server-time share_process=false protocol=legacy"),
        printed);
    assertTrue(printed.contains("admin token set, access keys 1"), printed);
    assertFalse(printed.contains("env-secret-value"), printed);
    assertFalse(printed.contains("admin-token-0123456789"), printed);
    assertFalse(printed.contains("alice-secret"), printed);
  }

  @Test
  void anInvalidConfigExitsOneWithTheError() throws Exception {
    int status = check("[mcp_servers.fetch]\ncommand = \"x\"\nshare_process = \"yes\"\n");
    assertEquals(1, status);
    String error = err.toString(StandardCharsets.UTF_8);
    assertTrue(error.contains("mcp_servers.fetch.share_process"), error);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void invalidSettingsExitOne() throws Exception {
    Files.writeString(dir.resolve("application.conf"), "mcprouter.ask-timeout = -1s\n");
    assertEquals(1, check("[mcp_servers.fetch]\ncommand = \"x\"\n"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("mcprouter.ask-timeout"));
  }
}
