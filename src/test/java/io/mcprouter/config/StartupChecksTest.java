package io.mcprouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StartupChecksTest {

  private static RouterConfig config(
      String proxyHost, String apiHost, Optional<String> adminToken) {
    return new RouterConfig(
        Path.of("test.toml"),
        new RouterConfig.Listen(proxyHost, 8025),
        new RouterConfig.Listen(apiHost, 8027),
        Map.of(),
        adminToken,
        "http://127.0.0.1:8025");
  }

  @ParameterizedTest(name = "{0} loopback={1}")
  @CsvSource({
    "127.0.0.1,true",
    "127.1.2.3,true",
    "localhost,true",
    "LOCALHOST,true",
    "::1,true",
    "[::1],true",
    "0.0.0.0,false",
    "::,false",
    "192.168.1.10,false",
    "127.0.0.1.attacker.example,false",
    "example.com,false",
    "127.0.0.300,false"
  })
  void loopbackIsALiteralCheck(String host, boolean loopback) {
    assertEquals(loopback, StartupChecks.isLoopback(host));
  }

  @Test
  void anUnguardedBindBeyondLoopbackIsOneWarningPerPort() {
    List<String> both =
        StartupChecks.exposure(config("0.0.0.0", "192.168.1.10", Optional.empty()), true, true);
    assertEquals(2, both.size(), both.toString());
    assertTrue(
        both.get(0).contains("[proxy_server] binds 0.0.0.0:8025 beyond loopback"), both.get(0));
    assertTrue(both.get(1).contains("[api_server] binds 192.168.1.10:8027"), both.get(1));
    assertEquals(
        1,
        StartupChecks.exposure(config("0.0.0.0", "192.168.1.10", Optional.empty()), false, true)
            .size(),
        "a port not bound is not warned about");
    assertTrue(
        StartupChecks.exposure(config("127.0.0.1", "localhost", Optional.empty()), true, true)
            .isEmpty());
  }

  @Test
  void anAdminTokenOrAccessKeysSilenceIt() {
    assertTrue(
        StartupChecks.exposure(config("0.0.0.0", "0.0.0.0", Optional.of("t")), true, true)
            .isEmpty());
    RouterConfig withKey =
        config("0.0.0.0", "0.0.0.0", Optional.empty())
            .withAccessKeys(
                List.of(new AccessKey("alice", AccessKey.sha256("x"), Set.of(), true, false)));
    assertEquals(
        List.of(
            "security: [access_keys] are configured and no admin token is: /admin refuses every caller"
                + " (set MCPROUTER_ADMIN_TOKEN or [admin] token to use it)"),
        StartupChecks.exposure(withKey, true, true),
        "only that /admin is closed");
    assertTrue(
        StartupChecks.exposure(withKey, false, true).isEmpty(), "no /admin without the proxy");
  }
}
