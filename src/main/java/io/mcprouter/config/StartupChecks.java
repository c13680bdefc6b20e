package io.mcprouter.config;

import io.mcprouter.net.LoopbackNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an operator should hear about at start (issue 12, item 10): a router reachable beyond
 * loopback with nothing guarding it, and a config file whose secrets other users can read.
 * Warnings, not errors: a container or a firewall may make either one harmless.
 */
public final class StartupChecks {

  private StartupChecks() {}

  /**
   * One warning per bound port whose host is not loopback, when neither an admin token nor an
   * access key is configured: then any host that reaches the port can call every tool.
   */
  public static List<String> exposure(RouterConfig config, boolean runsProxy, boolean runsApi) {
    List<String> warnings = new ArrayList<>();
    if (config.adminToken().isEmpty() && config.accessKeysConfigured() && runsProxy) {
      warnings.add(
          "security: [access_keys] are configured and no admin token is: /admin refuses every caller"
              + " (set MCPROUTER_ADMIN_TOKEN or [admin] token to use it)");
    }
    if (config.adminToken().isPresent() || config.accessKeysConfigured()) {
      return warnings;
    }
    if (runsProxy && !isLoopback(config.proxyServer().host())) {
      warnings.add(unguarded("proxy_server", config.proxyServer()));
    }
    if (runsApi && !isLoopback(config.apiServer().host())) {
      warnings.add(unguarded("api_server", config.apiServer()));
    }
    return warnings;
  }

  private static String unguarded(String table, RouterConfig.Listen listen) {
    return "security: ["
        + table
        + "] binds "
        + listen.host()
        + ":"
        + listen.port()
        + " beyond loopback with no admin"
        + " token and no [access_keys]: anyone who reaches the port can call every server's tools and stop them";
  }

  /**
   * A literal check, never a DNS lookup: any other name may resolve to anything, so it is beyond
   * loopback.
   */
  public static boolean isLoopback(String host) {
    return LoopbackNames.isLoopback(host);
  }

  /**
   * A warning when {@code file} holds a secret and its group or others may read it (POSIX systems
   * only).
   */
  public static Optional<String> readableByOthers(Path file, boolean holdsSecret) {
    if (!holdsSecret) {
      return Optional.empty();
    }
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException | IOException e) {
      return Optional.empty();
    }
    boolean group = permissions.contains(PosixFilePermission.GROUP_READ);
    boolean others = permissions.contains(PosixFilePermission.OTHERS_READ);
    if (!group && !others) {
      return Optional.empty();
    }
    return Optional.of(
        "security: "
            + file
            + " holds secrets (admin token or access keys) and is readable by "
            + (group && others ? "its group and other users" : group ? "its group" : "other users")
            + ": chmod 600 "
            + file);
  }
}
