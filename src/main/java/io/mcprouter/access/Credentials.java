package io.mcprouter.access;

import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Who a bearer token belongs to: the admin (every key and /admin), an access key (its servers), or,
 * only while no access key is configured, one server key (that key only: the original mcprouter's
 * bearer). Every configured secret is compared, in constant time, so the answer's timing says
 * nothing.
 */
public final class Credentials {

  /**
   * The holder of a valid token. {@code serverKey} is set for the original bearer (a server key),
   * {@code accessKey} for an access key; neither for the admin.
   */
  public record Caller(Optional<String> serverKey, Optional<AccessKey> accessKey) {
    public static final Caller ADMIN = new Caller(Optional.empty(), Optional.empty());

    public Caller(Optional<String> serverKey) {
      this(serverKey, Optional.empty());
    }

    public static Caller of(AccessKey key) {
      return new Caller(Optional.empty(), Optional.of(key));
    }

    public boolean isAdmin() {
      return serverKey.isEmpty() && accessKey.isEmpty();
    }

    public boolean mayUse(String key) {
      return isAdmin()
          || serverKey.map(key::equals).orElse(false)
          || accessKey.map(a -> a.mayUse(key)).orElse(false);
    }

    /** Without access keys, whoever may use a key may stop it (the original mcprouter's rule). */
    public boolean mayStop(String key) {
      return accessKey.map(a -> a.mayStop(key)).orElseGet(() -> mayUse(key));
    }

    /** The server a REST call that names none is for. */
    public Optional<String> defaultServer() {
      return serverKey.or(() -> accessKey.flatMap(AccessKey::soleServer));
    }

    /**
     * For logs and session ownership: the access key's name; the others hold characters no name may
     * have.
     */
    public String displayName() {
      return accessKey.map(AccessKey::name).orElse(isAdmin() ? "(admin)" : "(server key)");
    }
  }

  /** Read on every question: a reload replaces the admin token and the access keys. */
  private final Supplier<RouterConfig> live;

  public Credentials(RouterConfig config) {
    this(() -> config);
  }

  public Credentials(Supplier<RouterConfig> live) {
    this.live = live;
  }

  public boolean adminTokenConfigured() {
    return live.get().adminToken().isPresent();
  }

  public boolean accessKeysConfigured() {
    return live.get().accessKeysConfigured();
  }

  public Optional<Caller> identify(String token) {
    RouterConfig config = live.get();
    Optional<Caller> found = Optional.empty();
    if (config.adminToken().isPresent() && equal(token, config.adminToken().get())) {
      found = Optional.of(Caller.ADMIN);
    }
    if (config.accessKeysConfigured()) {
      Optional<AccessKey> key = accessKey(config, token);
      return found.isPresent() ? found : key.map(Caller::of);
    }
    for (String key : config.servers().keySet()) {
      if (equal(token, key) && found.isEmpty()) {
        found = Optional.of(new Caller(Optional.of(key)));
      }
    }
    return found;
  }

  /** The access key whose secret this is: one digest of the token, compared against every key's. */
  public Optional<AccessKey> accessKey(String token) {
    return accessKey(live.get(), token);
  }

  private static Optional<AccessKey> accessKey(RouterConfig config, String token) {
    byte[] digest = AccessKey.sha256(token);
    AccessKey found = null;
    for (AccessKey key : config.accessKeys()) {
      if (key.matches(digest) && found == null) {
        found = key;
      }
    }
    return Optional.ofNullable(found);
  }

  public boolean isAdminToken(String token) {
    return live.get().adminToken().map(admin -> equal(token, admin)).orElse(false);
  }

  private static boolean equal(String given, String secret) {
    return MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
  }
}
