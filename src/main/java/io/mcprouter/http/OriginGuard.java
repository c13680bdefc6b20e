package io.mcprouter.http;

import akka.http.javadsl.model.HttpRequest;
import io.mcprouter.net.LoopbackNames;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * DNS-rebinding and cross-site protection, required by the MCP spec for local servers and applied
 * to every path of both ports (through {@link RequestGuard}): a browser page on a foreign origin
 * must not reach the router. {@code Origin} must be absent, an http(s) origin whose host is
 * loopback ({@link LoopbackNames}), or listed exactly; {@code Origin: null} (sandboxed frames, file
 * pages, any site can produce it) is refused unless listed. When the port listens on loopback,
 * {@code Host} must name a loopback host or be listed (with or without its port): a rebinding page
 * reaches the router under the attacker's name.
 */
public final class OriginGuard {

  /**
   * Why a request was refused: {@code client} for the answer, {@code log} adds the setting for the
   * operator.
   */
  public record Refusal(String client, String log) {}

  private static final int ECHOED_CHARS = 100;

  private final boolean listensOnLoopback;
  private final Set<String> allowedOrigins;
  private final Set<String> allowedHosts;

  public OriginGuard(String listenHost, List<String> allowedOrigins, List<String> allowedHosts) {
    this.listensOnLoopback = LoopbackNames.isLoopback(listenHost);
    this.allowedOrigins = Set.copyOf(allowedOrigins.stream().map(OriginGuard::normalize).toList());
    this.allowedHosts = Set.copyOf(allowedHosts.stream().map(OriginGuard::normalize).toList());
  }

  public boolean listensOnLoopback() {
    return listensOnLoopback;
  }

  public Optional<Refusal> refusal(HttpRequest request) {
    Optional<String> origin = request.getHeader("Origin").map(h -> normalize(h.value()));
    if (origin.isPresent()
        && !allowedOrigins.contains(origin.get())
        && !LoopbackNames.hostOfOrigin(origin.get()).map(LoopbackNames::isLoopback).orElse(false)) {
      String text =
          "Origin '"
              + echo(origin.get())
              + "' is not allowed: only loopback origins and those the operator lists";
      return Optional.of(new Refusal(text, text + " (mcprouter.http.allowed-origins)"));
    }
    if (listensOnLoopback) {
      String host = request.getHeader("Host").map(h -> normalize(h.value())).orElse("");
      if (!host.isEmpty() && !hostAllowed(host)) {
        String text =
            "Host '"
                + echo(host)
                + "' is not allowed: this router answers only to loopback names"
                + " and those the operator lists";
        return Optional.of(new Refusal(text, text + " (mcprouter.http.allowed-hosts)"));
      }
    }
    return Optional.empty();
  }

  private boolean hostAllowed(String host) {
    if (allowedHosts.contains(host)) {
      return true;
    }
    Optional<String> name = LoopbackNames.hostOfHostHeader(host);
    return name.isPresent()
        && (allowedHosts.contains(name.get()) || LoopbackNames.isLoopback(name.get()));
  }

  private static String normalize(String value) {
    return value.trim().toLowerCase(Locale.ROOT);
  }

  private static String echo(String value) {
    return value.length() <= ECHOED_CHARS ? value : value.substring(0, ECHOED_CHARS) + "...";
  }
}
