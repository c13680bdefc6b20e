package io.mcprouter.access;

import static akka.http.javadsl.server.Directives.optionalAttribute;
import static io.mcprouter.http.BearerToken.bearer;

import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.server.Route;
import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Function;

/**
 * Whether a request comes from the operator, by the rule of {@code /admin}: the admin token when
 * one is configured; else a loopback caller (the TCP peer, never a forwarded header), and nobody
 * once access keys are configured (a loopback caller may then be any user of the host). One rule
 * for every operator-only answer: /admin, and the per-key states of {@code /readyz?verbose}.
 */
public final class OperatorAccess {

  /** What the request is, for the operator rule; every value but {@code OPERATOR} is a refusal. */
  public enum Verdict {
    OPERATOR,
    MISSING_TOKEN,
    INVALID_TOKEN,
    CLOSED_BY_ACCESS_KEYS,
    NOT_LOOPBACK
  }

  private OperatorAccess() {}

  public static Route verdict(Credentials credentials, Function<Verdict, Route> inner) {
    if (credentials.adminTokenConfigured()) {
      return bearer(
          token ->
              inner.apply(
                  token.isEmpty()
                      ? Verdict.MISSING_TOKEN
                      : credentials.isAdminToken(token.get())
                          ? Verdict.OPERATOR
                          : Verdict.INVALID_TOKEN));
    }
    if (credentials.accessKeysConfigured()) {
      return inner.apply(Verdict.CLOSED_BY_ACCESS_KEYS);
    }
    return optionalAttribute(
        AttributeKeys.remoteAddress,
        remote -> {
          Optional<InetAddress> address = remote.flatMap(r -> r.getAddress());
          return inner.apply(
              address.map(InetAddress::isLoopbackAddress).orElse(false)
                  ? Verdict.OPERATOR
                  : Verdict.NOT_LOOPBACK);
        });
  }
}
