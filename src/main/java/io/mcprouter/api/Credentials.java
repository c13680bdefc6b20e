package io.mcprouter.api;

import io.mcprouter.config.RouterConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who a bearer token belongs to: the admin (every key and /admin), or one server key (that key only).
 * Every configured secret is compared, in constant time, so the answer's timing says nothing.
 */
public final class Credentials {

  /** The holder of a valid token. {@code serverKey} is empty for the admin. */
  public record Caller(Optional<String> serverKey) {
    public boolean isAdmin() {
      return serverKey.isEmpty();
    }

    public boolean mayUse(String key) {
      return isAdmin() || serverKey.get().equals(key);
    }
  }

  private final RouterConfig config;

  public Credentials(RouterConfig config) {
    this.config = config;
  }

  public boolean adminTokenConfigured() {
    return config.adminToken().isPresent();
  }

  public Optional<Caller> identify(String token) {
    Optional<Caller> found = Optional.empty();
    if (config.adminToken().isPresent() && equal(token, config.adminToken().get())) {
      found = Optional.of(new Caller(Optional.empty()));
    }
    for (String key : config.servers().keySet()) {
      if (equal(token, key) && found.isEmpty()) {
        found = Optional.of(new Caller(Optional.of(key)));
      }
    }
    return found;
  }

  public boolean isAdminToken(String token) {
    return config.adminToken().map(admin -> equal(token, admin)).orElse(false);
  }

  private static boolean equal(String given, String secret) {
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
  }
}
