package io.mcprouter.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code [access_keys]}: each entry is a credential with {@code secret} (or {@code secret_sha256}),
 * {@code servers} and {@code may_stop}. A weak, duplicated or ambiguous entry stops the router at
 * load, naming the entry, because a credential that silently does something else is worse than
 * none.
 */
final class AccessKeysLoader {

  static final int MIN_SECRET_LENGTH = 16;
  static final int MIN_DISTINCT_CHARACTERS = 8;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /**
   * URL-unreserved characters: a token68 bearer (Akka's header parser logs any other bearer in
   * clear) that also stands unencoded as a path segment in {@code /mcp/<secret>}.
   */
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9._~-]+");

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Set<String> FIELDS =
      Set.of("secret", "secret_sha256", "servers", "may_stop");

  private AccessKeysLoader() {}

  @SuppressWarnings("unchecked")
  static List<AccessKey> load(
      String where, Object value, Set<String> serverKeys, Optional<String> adminToken) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof Map)) {
      throw new ConfigException(
          where + ": 'access_keys' must be a table of [access_keys.<name>] entries");
    }
    List<AccessKey> keys = new ArrayList<>();
    for (Map.Entry<String, Object> e : ((Map<String, Object>) value).entrySet()) {
      AccessKey key = entry(where, e.getKey(), e.getValue(), serverKeys);
      for (AccessKey other : keys) {
        if (other.matches(key.secretSha256())) {
          throw new ConfigException(
              where
                  + ": 'access_keys."
                  + key.name()
                  + "' has the same secret as 'access_keys."
                  + other.name()
                  + "': each access key needs its own secret");
        }
      }
      if (adminToken.isPresent() && key.matches(AccessKey.sha256(adminToken.get()))) {
        throw new ConfigException(
            where + ": 'access_keys." + key.name() + "' has the admin token as its secret");
      }
      keys.add(key);
    }
    keys.sort(Comparator.comparing(AccessKey::name));
    return List.copyOf(keys);
  }

  @SuppressWarnings("unchecked")
  private static AccessKey entry(
      String where, String rawName, Object value, Set<String> serverKeys) {
    String name =
        rawName.length() >= 2 && rawName.startsWith("\"") && rawName.endsWith("\"")
            ? rawName.substring(1, rawName.length() - 1)
            : rawName;
    String path = "access_keys." + name;
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(
          where
              + ": invalid access key name '"
              + name
              + "': names are 1 to 64 characters of A-Z a-z 0-9 _ . -");
    }
    if (!(value instanceof Map)) {
      throw new ConfigException(
          where
              + ": '"
              + path
              + "' must be a table with secret (or secret_sha256), servers, may_stop");
    }
    Map<String, Object> fields = (Map<String, Object>) value;
    for (String field : fields.keySet()) {
      if (!FIELDS.contains(field)) {
        throw new ConfigException(
            where
                + ": unknown field '"
                + path
                + "."
                + field
                + "' (expected secret, secret_sha256, servers, may_stop)");
      }
    }
    Object secret = fields.get("secret");
    Object hashed = fields.get("secret_sha256");
    if ((secret == null) == (hashed == null)) {
      throw new ConfigException(
          where + ": '" + path + "' needs exactly one of 'secret' and 'secret_sha256'");
    }
    byte[] digest =
        secret != null
            ? AccessKey.sha256(checkSecret(where, path + ".secret", secret, serverKeys))
            : checkHash(where, path + ".secret_sha256", hashed);
    Set<String> servers = servers(where, path + ".servers", fields.get("servers"), serverKeys);
    boolean all = servers.contains("*");
    Object mayStop = fields.get("may_stop");
    if (mayStop != null && !(mayStop instanceof Boolean)) {
      throw new ConfigException(where + ": '" + path + ".may_stop' must be true or false");
    }
    return new AccessKey(name, digest, all ? Set.of() : servers, all, Boolean.TRUE.equals(mayStop));
  }

  // the messages never quote the secret: a config error is printed and may be pasted into a ticket
  private static String checkSecret(
      String where, String path, Object value, Set<String> serverKeys) {
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new ConfigException(where + ": '" + path + "' must be a non-empty string");
    }
    if (!SECRET.matcher(s).matches()) {
      throw new ConfigException(
          where
              + ": '"
              + path
              + "' may hold only A-Z a-z 0-9 . _ ~ - (it is sent as a bearer"
              + " token and as a URL path segment); generate one with: openssl rand -hex 32");
    }
    if (s.length() < MIN_SECRET_LENGTH || s.chars().distinct().count() < MIN_DISTINCT_CHARACTERS) {
      throw new ConfigException(
          where
              + ": '"
              + path
              + "' is too weak: at least "
              + MIN_SECRET_LENGTH
              + " characters with at least "
              + MIN_DISTINCT_CHARACTERS
              + " different ones; generate one with: openssl rand -hex 32");
    }
    if (serverKeys.contains(s)) {
      throw new ConfigException(
          where + ": '" + path + "' is a server key: server keys are public names, not secrets");
    }
    return s;
  }

  private static byte[] checkHash(String where, String path, Object value) {
    if (!(value instanceof String s) || !SHA256_HEX.matcher(s).matches()) {
      throw new ConfigException(
          where + ": '" + path + "' must be 64 hex digits (printf %s \"$SECRET\" | sha256sum)");
    }
    return HexFormat.of().parseHex(s.toLowerCase(Locale.ROOT));
  }

  private static Set<String> servers(
      String where, String path, Object value, Set<String> serverKeys) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw new ConfigException(
          where + ": '" + path + "' must be a non-empty list of server keys, or [\"*\"] for all");
    }
    Set<String> servers = new LinkedHashSet<>();
    for (Object item : list) {
      if (!(item instanceof String key)) {
        throw new ConfigException(where + ": '" + path + "' must list server keys as strings");
      }
      if (!key.equals("*") && !serverKeys.contains(key)) {
        throw new ConfigException(
            where + ": '" + path + "' names unknown server key '" + key + "'");
      }
      servers.add(key);
    }
    if (servers.contains("*") && servers.size() > 1) {
      throw new ConfigException(
          where + ": '" + path + "' mixes \"*\" with server keys: use [\"*\"] alone for all");
    }
    return servers;
  }
}
