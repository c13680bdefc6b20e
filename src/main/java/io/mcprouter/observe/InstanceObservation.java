package io.mcprouter.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The observation hook of one server instance, called by its routing and by the instance itself on
 * the instance's thread: {@link #requestSent} when a client's request is routed to the child (its
 * {@link Call} is kept with the request in flight), {@link #answered} when its answer, or the
 * router's failure of it, is routed back. With every consumer off ({@link #OFF}) nothing is
 * allocated and each call is one null test.
 *
 * <p>What the routing cannot see is set here by the instance around the routing call: the byte
 * length of the child's line being routed ({@link #childLine}) and, while the router fails requests
 * itself (a crash, a timeout), why ({@link #failing}).
 */
public final class InstanceObservation {

  /** No consumer: no call sites, no calls. */
  public static final InstanceObservation OFF = new InstanceObservation(null, null, false, null);

  private final KeyObservation key;
  private final CallObserver observer;
  private final boolean wantsBytesIn;
  private final LongSupplier clock;

  private long lineBytes;
  private Outcome routerFailure;
  private long pid = -1;
  private Call unsent;
  private IntSupplier stdinQueue;

  InstanceObservation(
      KeyObservation key, CallObserver observer, boolean wantsBytesIn, LongSupplier clock) {
    this.key = key;
    this.observer = observer;
    this.wantsBytesIn = wantsBytesIn;
    this.clock = clock;
  }

  public boolean active() {
    return observer != null;
  }

  /** The per-session record, built when a session opens; null when nothing observes. */
  public CallSite site(String sessionId, CallTransport transport) {
    return observer == null ? null : new CallSite(key, sessionId, transport);
  }

  /** A session of this instance ended, on {@code transport}, for {@code why}. Thread-safe. */
  public void sessionEnded(CallTransport transport, SessionEnd why) {
    if (key != null && key.metrics != null) {
      key.metrics.sessionEnded(key.key(), transport, why);
    }
  }

  /** The session's client introduced itself ({@code initialize}'s params). */
  public void initialize(CallSite site, JsonNode params) {
    if (site == null || params == null) {
      return;
    }
    JsonNode info = params.path("clientInfo");
    site.client(
        info.path("name").asText(""),
        info.path("version").asText(""),
        params.path("protocolVersion").asText(""));
  }

  /**
   * A client's request is routed to the child; the returned call is kept with it (null when off).
   * Called before the write: what the child gets is {@link #forChild}, and a write its stdin
   * refuses is {@link #unsent}.
   */
  public Call requestSent(CallSite site, JsonRpcMessage.Request request) {
    if (observer == null
        || site == null
        || ("initialize".equals(request.method()) && !site.transport().clientInitializes())) {
      return null;
    }
    endUnsent();
    JsonNode params = request.params();
    String tool = null;
    if ("tools/call".equals(request.method()) && params != null) {
      tool = Labels.bounded(params.path("name").asText(null), 128);
    }
    Call call =
        new Call(
            site,
            request.method(),
            tool,
            clock.getAsLong(),
            System.currentTimeMillis(),
            wantsBytesIn ? JsonRpcCodec.encodeLine(request).size() : -1,
            key.logPayloads() ? params : null,
            pid);
    observer.started(call, request);
    return call;
  }

  /**
   * {@code upstream} (the request as routing writes it to the child) with the trace context a
   * tracer set on {@code call} in its {@code params._meta}, replacing the client's: the router's
   * span is the child's parent. Unchanged when no tracer set one.
   */
  public JsonRpcMessage.Request forChild(Call call, JsonRpcMessage.Request upstream) {
    if (call == null || call.traceparent == null) {
      return upstream;
    }
    JsonNode params = upstream.params();
    if (params != null && !params.isObject()) {
      return upstream; // by-position params have no _meta to carry it
    }
    // shallow: the arguments are shared, only the objects on the way to _meta are new
    ObjectNode withMeta = JsonNodeFactory.instance.objectNode();
    if (params != null) {
      withMeta.setAll((ObjectNode) params);
    }
    JsonNode meta = withMeta.get("_meta");
    ObjectNode metaCopy = JsonNodeFactory.instance.objectNode();
    if (meta instanceof ObjectNode m) {
      metaCopy.setAll(m);
    }
    metaCopy.put("traceparent", call.traceparent);
    if (call.tracestate != null) {
      metaCopy.put("tracestate", call.tracestate);
    } else {
      metaCopy.remove("tracestate");
    }
    withMeta.set("_meta", metaCopy);
    return new JsonRpcMessage.Request(upstream.id(), upstream.method(), withMeta);
  }

  /**
   * The child's stdin refused {@code call}'s write: the router's refusal that follows ({@link
   * #overflow}) ends this call rather than making a second one.
   */
  public void unsent(Call call) {
    endUnsent();
    unsent = call;
  }

  /** An unsent call whose refusal never came (it was held for the child's exit): ended here. */
  private void endUnsent() {
    if (unsent != null) {
      Call call = unsent;
      unsent = null;
      observer.answered(
          call,
          Outcome.OVERFLOW,
          JsonRpcError.UNAVAILABLE,
          null,
          0,
          clock.getAsLong() - call.startNanos());
    }
  }

  /** The answer to {@code call} was routed to its client (from the child, or the router's). */
  public void answered(Call call, JsonRpcMessage.Response response) {
    if (call == null) {
      return;
    }
    Outcome outcome;
    int code = 0;
    if (response.isError()) {
      code = response.error().path("code").asInt(0);
      outcome = routerFailure != null ? routerFailure : Outcome.ERROR;
    } else {
      JsonNode result = response.result();
      if ("tools/list".equals(call.method())) {
        key.learnTools(result);
      }
      outcome =
          "tools/call".equals(call.method()) && result.path("isError").asBoolean(false)
              ? Outcome.TOOL_ERROR
              : Outcome.OK;
    }
    observer.answered(
        call,
        outcome,
        code,
        response,
        routerFailure == null ? lineBytes : 0,
        clock.getAsLong() - call.startNanos());
  }

  /** Nobody waits for the answer any more (the client cancelled, its session closed). */
  public void cancelled(Call call) {
    if (call != null) {
      observer.answered(call, Outcome.CANCELLED, 0, null, 0, clock.getAsLong() - call.startNanos());
    }
  }

  /** A request refused by a limit or a stop, answered with {@code error} and never sent. */
  public void refused(CallSite site, JsonRpcMessage message, JsonRpcError error) {
    refused(site, message, Outcome.REFUSED, error);
  }

  /** A request the child's full stdin buffer refused. */
  public void overflow(CallSite site, JsonRpcMessage message, JsonRpcError error) {
    refused(site, message, Outcome.OVERFLOW, error);
  }

  /** A queued request whose turn came while the child's stdin was full. */
  public void overflowed(Call call, JsonRpcMessage.Response busy) {
    if (call != null) {
      failing(Outcome.OVERFLOW);
      answered(call, busy);
      doneFailing();
    }
  }

  private void refused(CallSite site, JsonRpcMessage message, Outcome outcome, JsonRpcError error) {
    if (observer == null || site == null || !(message instanceof JsonRpcMessage.Request r)) {
      return;
    }
    Call call;
    long duration = 0;
    if (unsent != null && outcome == Outcome.OVERFLOW) {
      call = unsent;
      unsent = null;
      duration = clock.getAsLong() - call.startNanos();
    } else {
      call = requestSent(site, r);
      if (call == null) {
        return; // the router's own initialize
      }
    }
    observer.answered(
        call, outcome, error.code(), JsonRpcMessage.failure(r.id(), error), 0, duration);
  }

  /** A new child runs: the calls sent from now on go to {@code pid}. */
  public void childPid(long pid) {
    this.pid = pid;
  }

  /**
   * The running child's stdin queue ({@code queued} says how many messages wait in it), read at
   * scrape time; null when the child is gone.
   */
  public void stdin(IntSupplier queued) {
    if (key == null || key.metrics == null) {
      return;
    }
    if (stdinQueue != null) {
      key.stdinClosed(stdinQueue);
    }
    stdinQueue = queued;
    if (queued != null) {
      key.stdinOpened(queued);
    }
  }

  /** The child's line about to be routed was {@code bytes} long. */
  public void childLine(long bytes) {
    lineBytes = bytes;
    if (key != null && key.bytesFromChild != null) {
      key.bytesFromChild.inc(bytes);
    }
  }

  /** A line of {@code bytes} went to the child's stdin; called on the stdin stream's thread. */
  public void toChild(long bytes) {
    if (bytes > 0 && key != null && key.bytesToChild != null) {
      key.bytesToChild.inc(bytes);
    }
  }

  /**
   * The router is failing requests itself, for {@code why}, until {@link #doneFailing}: the answers
   * routed meanwhile are its own, not the child's.
   */
  public void failing(Outcome why) {
    routerFailure = why;
  }

  public void doneFailing() {
    routerFailure = null;
  }
}
