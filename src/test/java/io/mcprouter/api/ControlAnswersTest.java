package io.mcprouter.api;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static io.mcprouter.http.BearerToken.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.mcprouter.control.ControlFailure;
import io.mcprouter.control.RemoteServerControl;
import io.mcprouter.control.ServerListing;
import io.mcprouter.control.StopOutcome;
import io.mcprouter.http.ApiResult;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerInstance.StopMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator actions' envelopes, byte for byte as /v1 and /admin have always answered, and {@link
 * RemoteServerControl} reading a proxy's envelopes back into the records they came from.
 */
class ControlAnswersTest {

  private static final String TOKEN = "admin-token";
  private static final ServerInstance.Status FETCH =
      new ServerInstance.Status(
          "fetch",
          "ready",
          4242,
          2,
          1,
          Optional.of(Instant.parse("2024-05-01T10:15:30.120Z")),
          3,
          true,
          List.of("warn: a", "user 7 token=abc"));
  private static final ServerInstance.Status SOLO =
      new ServerInstance.Status(
          "solo", "starting", 77, 0, 0, Optional.empty(), 0, false, List.of());
  private static final StopOutcome.Stopped STOPPED =
      new StopOutcome.Stopped(
          "fetch",
          true,
          List.of(
              new StopOutcome.StoppedChild(4242, Optional.of(0)),
              new StopOutcome.StoppedChild(4243, Optional.empty())),
          5,
          1,
          Duration.ofMillis(1234));

  private static ActorTestKit testKit;
  private static ServerBinding proxy;

  /** What the fake proxy answers to a stop: set by each test before it calls. */
  private static volatile ApiResult stopAnswer;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("ControlAnswersTest");
    Route admin =
        bearer(
            token ->
                !token.equals(Optional.of(TOKEN))
                    ? complete(
                        ApiResult.auth(StatusCodes.FORBIDDEN, "invalid admin token").toResponse())
                    : concat(
                        path(
                            "list-running-servers",
                            () ->
                                complete(
                                    ControlAnswers.listing(
                                            new ServerListing.Running(List.of(FETCH, SOLO)),
                                            ControlAnswers.Audience.OPERATOR)
                                        .toResponse())),
                        path("stop-server", () -> complete(stopAnswer.toResponse()))));
    Route notMcprouter =
        complete(StatusCodes.OK, HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, "hello"));
    proxy =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(
                concat(
                    pathPrefix("admin", () -> admin), pathPrefix("elsewhere", () -> notMcprouter)))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aListingIsTheEnvelopeTheRegistrysAnswerAlwaysGave() {
    assertEquals(
        "{\"code\":0,\"message\":\"2 running\",\"data\":{\"servers\":["
            + "{\"server_key\":\"fetch\",\"status\":\"ready\",\"pid\":4242,\"sessions\":2,\"in_flight\":1,"
            + "\"started_at\":\"2024-05-01T10:15:30.120Z\",\"restarts\":3,\"share_process\":true,"
            + "\"stderr_tail\":[\"warn: a\",\"user 7 token=abc\"]},"
            + "{\"server_key\":\"solo\",\"status\":\"starting\",\"pid\":77,\"sessions\":0,\"in_flight\":0,"
            + "\"started_at\":null,\"restarts\":0,\"share_process\":false,\"stderr_tail\":[]}]}}",
        body(
            ControlAnswers.listing(
                new ServerListing.Running(List.of(FETCH, SOLO)),
                ControlAnswers.Audience.OPERATOR)));
  }

  @Test
  void aKeyHoldersListingHasNoStderrField() {
    String body =
        body(
            ControlAnswers.listing(
                new ServerListing.Running(List.of(FETCH)), ControlAnswers.Audience.KEY_HOLDER));
    assertFalse(body.contains("stderr_tail"), body);
    assertFalse(body.contains("token=abc"), body);
    assertTrue(body.startsWith("{\"code\":0,\"message\":\"1 running\""), body);
  }

  @Test
  void aStopIsTheEnvelopeTheStopReportAlwaysGave() {
    assertEquals(
        "{\"code\":0,\"message\":\"server 'fetch' force-stopped\",\"data\":{\"server_key\":\"fetch\","
            + "\"force\":true,\"processes_stopped\":2,\"pids\":[4242,4243],\"exit_codes\":[0,null],"
            + "\"requests_completed\":5,\"requests_failed\":1,\"duration_ms\":1234}}",
        body(ControlAnswers.stop(STOPPED)));
    ApiResult notRunning = ControlAnswers.stop(new StopOutcome.NotRunning("gone"));
    assertEquals(404, notRunning.status().intValue());
    assertEquals(
        "{\"code\":-1,\"message\":\"server 'gone' is not running\",\"data\":null}",
        body(notRunning));
  }

  @Test
  void aRemoteListingReadsBackIntoTheSameRecords() throws Exception {
    ServerListing listing = await(remote(TOKEN).listRunning());
    assertEquals(new ServerListing.Running(List.of(FETCH, SOLO)), listing);
  }

  @Test
  void aRemoteStopReadsBackIntoTheSameOutcome() throws Exception {
    stopAnswer = ControlAnswers.stop(STOPPED);
    assertEquals(STOPPED, await(remote(TOKEN).stop("fetch", StopMode.FORCE)));
    stopAnswer = ControlAnswers.stop(new StopOutcome.NotRunning("fetch"));
    assertEquals(
        new StopOutcome.NotRunning("fetch"), await(remote(TOKEN).stop("fetch", StopMode.GRACEFUL)));
  }

  @Test
  void aProxysRefusalIsPassedOnAsItCame() throws Exception {
    ServerListing refused = await(remote("wrong").listRunning());
    assertEquals(
        new ControlFailure.ProxyRefused(403, ApiResult.AUTH, "invalid admin token"), refused);
    ApiResult rendered = ControlAnswers.listing(refused, ControlAnswers.Audience.OPERATOR);
    assertEquals(403, rendered.status().intValue());
    assertEquals(
        body(ApiResult.auth(StatusCodes.FORBIDDEN, "invalid admin token")), body(rendered));
  }

  @Test
  void aProxyThatDoesNotAnswerIsA502() throws Exception {
    StopOutcome outcome =
        await(
            new RemoteServerControl("http://127.0.0.1:1", Optional.empty(), testKit.system())
                .stop("fetch", StopMode.GRACEFUL));
    ControlFailure.ProxyUnreachable unreachable =
        assertInstanceOf(ControlFailure.ProxyUnreachable.class, outcome);
    assertTrue(
        unreachable.reason().startsWith("the proxy at http://127.0.0.1:1 did not answer: "),
        unreachable.reason());
    assertEquals(502, ControlAnswers.stop(outcome).status().intValue());
  }

  @Test
  void anAnswerThatIsNoEnvelopeIsA502() throws Exception {
    String url = "http://127.0.0.1:" + proxy.localAddress().getPort() + "/elsewhere";
    ServerListing listing =
        await(new RemoteServerControl(url, Optional.of(TOKEN), testKit.system()).listRunning());
    assertInstanceOf(ControlFailure.ProxyUnreachable.class, listing);
    assertEquals(
        502, ControlAnswers.listing(listing, ControlAnswers.Audience.OPERATOR).status().intValue());
  }

  private static RemoteServerControl remote(String token) {
    return new RemoteServerControl(
        "http://127.0.0.1:" + proxy.localAddress().getPort(), Optional.of(token), testKit.system());
  }

  private static String body(ApiResult result) {
    try {
      return JsonRpcCodec.MAPPER.writeValueAsString(result.envelope());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
  }
}
