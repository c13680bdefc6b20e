package io.mcprouter.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * One entry of {@code [access_keys]}: a secret credential (kept only as its SHA-256), the servers
 * it may use, and whether it may stop them. {@code name} is the TOML key, shown in logs in place of
 * the secret.
 */
public record AccessKey(
    String name, byte[] secretSha256, Set<String> servers, boolean allServers, boolean mayStop) {

  public AccessKey {
    secretSha256 = secretSha256.clone();
    servers = Set.copyOf(servers);
  }

  public boolean mayUse(String serverKey) {
    return allServers || servers.contains(serverKey);
  }

  public boolean mayStop(String serverKey) {
    return mayStop && mayUse(serverKey);
  }

  /** The server a request that names none is for: the only one this key may use. */
  public Optional<String> soleServer() {
    return !allServers && servers.size() == 1
        ? Optional.of(servers.iterator().next())
        : Optional.empty();
  }

  /**
   * Constant time for a digest of the same length, so a comparison's timing says nothing about the
   * secret.
   */
  public boolean matches(byte[] presentedSha256) {
    return MessageDigest.isEqual(secretSha256, presentedSha256);
  }

  public static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccessKey other && name.equals(other.name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    // never the digest: a hash of a weak secret is as good as the secret
    return "AccessKey["
        + name
        + ", servers="
        + (allServers ? "*" : servers)
        + ", may_stop="
        + mayStop
        + "]";
  }
}
