package io.mcprouter.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.RoutingForBenchmarks;
import io.mcprouter.routing.SessionRouting;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Id rewriting, one full cycle per op on one initialized session: a client's {@code tools/call}
 * goes in ({@code fromClient}: client id to router id), the child's answer to the id it was sent
 * under comes back ({@code fromChild}: router id to the client's id, exactly as sent). The routing
 * is stateful, so the two halves cannot be measured apart; each cycle leaves it as it found it.
 *
 * <ul>
 *   <li>{@code multiplexer}: {@code share_process = true};
 *   <li>{@code multiplexerProgressToken}: the same with a {@code _meta.progressToken}, which makes
 *       the multiplexer deep-copy the params to rewrite the token (so it grows with {@code
 *       payloadChars});
 *   <li>{@code passthrough}: {@code share_process = false}, ids unchanged, only tracked.
 * </ul>
 *
 * The child's response is a new {@code Response} record carrying the id the child was sent (what
 * the child does); that allocation (24 bytes) is in the numbers. Messages are parsed in setup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoutingBench {

  @Param({"64", "4096"})
  public int payloadChars;

  private SessionRouting multiplexer;
  private SessionRouting passthrough;
  private final Messages.LastMessageRecipients out = new Messages.LastMessageRecipients();
  private JsonRpcMessage request;
  private JsonRpcMessage requestWithProgressToken;
  private JsonNode result;

  @Setup
  public void setUp() {
    multiplexer = RoutingForBenchmarks.multiplexer();
    Messages.initialize(multiplexer, out);
    passthrough = RoutingForBenchmarks.passthrough();
    passthrough.sessionOpened(Messages.SESSION);
    request = Messages.message(Messages.toolsCallRequest(42, payloadChars, false));
    requestWithProgressToken = Messages.message(Messages.toolsCallRequest(42, payloadChars, true));
    result =
        ((JsonRpcMessage.Response) Messages.message(Messages.toolsCallResponse(42, payloadChars)))
            .result();
    // sanity: the answer reaches the session under the client's id, and nothing stays in flight
    if (!(cycle(multiplexer, requestWithProgressToken) instanceof JsonRpcMessage.Response r)
        || r.id().asLong() != 42
        || multiplexer.inFlight() != 0
        || cycle(passthrough, request) == null) {
      throw new IllegalStateException("the routing cycle did not come back to the client's id");
    }
  }

  private JsonRpcMessage cycle(SessionRouting routing, JsonRpcMessage clientRequest) {
    routing.fromClient(Messages.SESSION, clientRequest, out);
    JsonNode childSideId = ((JsonRpcMessage.Request) out.toChild).id();
    routing.fromChild(new JsonRpcMessage.Response(childSideId, result, null), out);
    return out.toSession;
  }

  @Benchmark
  public JsonRpcMessage multiplexer() {
    return cycle(multiplexer, request);
  }

  @Benchmark
  public JsonRpcMessage multiplexerProgressToken() {
    return cycle(multiplexer, requestWithProgressToken);
  }

  @Benchmark
  public JsonRpcMessage passthrough() {
    return cycle(passthrough, request);
  }
}
