package io.mcprouter.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.headers.RawHeader;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which Origin and Host headers the guard lets through, decided on the request alone (no socket).
 */
class OriginGuardTest {

  private static final OriginGuard LOOPBACK = new OriginGuard("127.0.0.1", List.of(), List.of());

  private static HttpRequest request(String origin, String host) {
    HttpRequest request = HttpRequest.create("/mcp/k");
    if (origin != null) {
      request = request.addHeader(RawHeader.create("Origin", origin));
    }
    if (host != null) {
      request = request.addHeader(RawHeader.create("Host", host));
    }
    return request;
  }

  private static Optional<OriginGuard.Refusal> origin(OriginGuard guard, String origin) {
    return guard.refusal(request(origin, "127.0.0.1:8080"));
  }

  private static Optional<OriginGuard.Refusal> host(OriginGuard guard, String host) {
    return guard.refusal(request(null, host));
  }

  @Test
  void aRequestWithNeitherHeaderIsAllowed() {
    assertEquals(Optional.empty(), LOOPBACK.refusal(request(null, null)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://localhost",
        "http://localhost:3000",
        "HTTP://LocalHost:3000",
        "http://127.0.0.1:8080",
        "https://127.45.6.7",
        "http://[::1]:5173",
        "http://[0:0:0:0:0:0:0:1]"
      })
  void loopbackOriginsAreAllowed(String value) {
    assertEquals(Optional.empty(), origin(LOOPBACK, value));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://evil.example",
        "http://127.0.0.1.attacker.example",
        "http://127.0.0.1.nip.io:8080",
        "http://localhost.attacker.example",
        "http://localhostx",
        "http://128.0.0.1",
        "http://127.0.0.256",
        "http://[::2]",
        "http://localhost/path",
        "http://user@localhost",
        "ftp://localhost",
        "file://",
        "null"
      })
  void otherOriginsAreRefused(String value) {
    OriginGuard.Refusal refusal =
        origin(LOOPBACK, value).orElseThrow(() -> new AssertionError("allowed: " + value));
    assertTrue(refusal.client().contains("'" + value.toLowerCase() + "'"), refusal.client());
    assertTrue(refusal.log().contains("mcprouter.http.allowed-origins"), refusal.log());
    assertFalse(
        refusal.client().contains("mcprouter.http"),
        "the setting is for the operator's log: " + refusal.client());
  }

  @Test
  void listedOriginsAreAllowedExactlyAndWithoutRegardToCase() {
    OriginGuard guard =
        new OriginGuard("127.0.0.1", List.of("https://App.Example", "null"), List.of());

    assertEquals(Optional.empty(), origin(guard, "https://app.example"));
    assertEquals(Optional.empty(), origin(guard, " HTTPS://APP.EXAMPLE "));
    assertEquals(Optional.empty(), origin(guard, "null"), "Origin: null only when listed");
    assertTrue(
        origin(guard, "https://app.example:8443").isPresent(), "another port is another origin");
    assertTrue(origin(guard, "http://app.example").isPresent(), "another scheme is another origin");
    assertTrue(origin(guard, "https://sub.app.example").isPresent());
  }

  @Test
  void anOriginIsCheckedWhateverAddressThePortListensOn() {
    OriginGuard anyAddress = new OriginGuard("0.0.0.0", List.of(), List.of());

    assertFalse(anyAddress.listensOnLoopback());
    assertTrue(origin(anyAddress, "https://evil.example").isPresent());
    assertEquals(Optional.empty(), origin(anyAddress, "http://localhost:3000"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        "localhost:8080",
        "LOCALHOST:8080",
        "127.0.0.1",
        "127.0.0.1:8080",
        "127.1.2.3:80",
        "[::1]",
        "[::1]:8080"
      })
  void loopbackHostsAreAllowedOnALoopbackPort(String value) {
    assertEquals(Optional.empty(), host(LOOPBACK, value));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "evil.example",
        "evil.example:8080",
        "127.0.0.1.attacker.example",
        "127.0.0.1.nip.io:8080",
        "localhost.attacker.example",
        "localhost.",
        "localhostx:8080",
        "10.0.0.1:8080",
        "[::2]:8080",
        "[::1",
        "::1",
        "localhost:8080/path",
        "user@localhost"
      })
  void otherHostsAreRefusedOnALoopbackPort(String value) {
    OriginGuard.Refusal refusal =
        host(LOOPBACK, value).orElseThrow(() -> new AssertionError("allowed: " + value));
    assertTrue(refusal.client().startsWith("Host '"), refusal.client());
    assertTrue(refusal.log().contains("mcprouter.http.allowed-hosts"), refusal.log());
  }

  @Test
  void listedHostsAreAllowedWithOrWithoutAPort() {
    OriginGuard guard =
        new OriginGuard("localhost", List.of(), List.of("Router.Lan", "other.lan:9000"));

    assertEquals(Optional.empty(), host(guard, "router.lan"));
    assertEquals(Optional.empty(), host(guard, "router.lan:8080"));
    assertEquals(Optional.empty(), host(guard, "other.lan:9000"));
    assertTrue(
        host(guard, "other.lan:9001").isPresent(),
        "a host listed with its port is allowed on that port only");
    assertTrue(host(guard, "sub.router.lan").isPresent());
  }

  @Test
  void anyHostIsAllowedWhenThePortDoesNotListenOnLoopback() {
    OriginGuard anyAddress = new OriginGuard("0.0.0.0", List.of(), List.of());

    assertEquals(Optional.empty(), host(anyAddress, "router.example.com:8080"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"::1", "[::1]", "localhost", "127.0.0.1", "127.9.9.9"})
  void loopbackListenAddressesAreRecognised(String listen) {
    assertTrue(new OriginGuard(listen, List.of(), List.of()).listensOnLoopback(), listen);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0",
        "::",
        "192.168.1.10",
        "127.0.0.1.attacker.example",
        "localhost.localdomain"
      })
  void otherListenAddressesAreNotLoopback(String listen) {
    assertFalse(new OriginGuard(listen, List.of(), List.of()).listensOnLoopback(), listen);
  }

  @Test
  void aLongRefusedValueIsEchoedCutShort() {
    String origin = "https://" + "a".repeat(300) + ".example";

    String client = origin(LOOPBACK, origin).orElseThrow().client();

    assertTrue(client.contains("'" + origin.substring(0, 100) + "...'"), client);
    assertFalse(client.contains(origin), client);
  }
}
