package io.mcprouter.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a name in a {@code Host} header, an {@code Origin} or a listen address is this machine's
 * loopback, decided by parsing and never by prefix: {@code 127.0.0.1.attacker.example} is a DNS
 * name an attacker controls, not an address. Loopback is an IPv4 literal in 127.0.0.0/8 written as
 * four decimal octets, an IPv6 loopback literal ({@code [::1]}, {@code ::1} in a listen address),
 * or exactly {@code localhost}. Subdomains of {@code localhost} are not: RFC 6761 reserves them,
 * but not every resolver keeps them off the network, and no client needs them; an operator can
 * allow-list one.
 */
public final class LoopbackNames {

  private static final Pattern IPV4 =
      Pattern.compile(
          "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-f:.]+");

  /** {@code host [":" port]}; the host a bracketed IPv6 literal or a name without delimiters. */
  private static final Pattern HOST_AND_PORT =
      Pattern.compile("(\\[[0-9a-f:.]+\\]|[^\\[\\]/:@?#\\s]+)(?::([0-9]{1,5}))?");

  /** An origin as browsers send it: {@code scheme "://" host [":" port]}, nothing else. */
  private static final Pattern ORIGIN =
      Pattern.compile("(https?)://(\\[[0-9a-f:.]+\\]|[^\\[\\]/:@?#\\s]+)(?::([0-9]{1,5}))?");

  private LoopbackNames() {}

  /**
   * A bare host name or address: {@code localhost}, {@code 127.0.0.1}, {@code [::1]} or {@code
   * ::1}.
   */
  public static boolean isLoopback(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      return isIpv6Loopback(h.substring(1, h.length() - 1));
    }
    if (h.contains(":")) {
      return isIpv6Loopback(h);
    }
    Matcher m = IPV4.matcher(h);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return m.group(1).equals("127");
  }

  /**
   * The host part of a {@code Host} header value, lower-cased; empty when it is not {@code
   * host[:port]}.
   */
  public static Optional<String> hostOfHostHeader(String value) {
    Matcher m = HOST_AND_PORT.matcher(value.trim().toLowerCase(Locale.ROOT));
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * The host of an http(s) origin, lower-cased; empty for {@code null}, other schemes, paths or
   * user info.
   */
  public static Optional<String> hostOfOrigin(String origin) {
    Matcher m = ORIGIN.matcher(origin.trim().toLowerCase(Locale.ROOT));
    return m.matches() ? Optional.of(m.group(2)) : Optional.empty();
  }

  private static boolean isIpv6Loopback(String literal) {
    // only hex digits, colons and dots: InetAddress then parses a literal and never asks DNS
    if (!literal.contains(":") || !IPV6_CHARS.matcher(literal).matches()) {
      return false;
    }
    try {
      return InetAddress.getByName(literal).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
