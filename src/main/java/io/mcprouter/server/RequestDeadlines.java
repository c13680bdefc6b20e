package io.mcprouter.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.observe.Outcome;
import io.mcprouter.routing.SessionRouting;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The deadlines of the requests a child has not answered, checked on the instance's periodic tick
 * (one timer for all of them, not one per request on the hot path). A request past its deadline is
 * answered with an error and cancelled at the child; an initialize past its own deadline means the
 * child never came up, which the instance handles by ending it.
 */
final class RequestDeadlines {

  private final String key;
  private Duration requestLimit;
  private final Duration initializeLimit;
  private final LongSupplier clock;
  private final Logger log;

  private final InstanceObservation observation;

  RequestDeadlines(
      String key,
      Duration requestLimit,
      Duration initializeLimit,
      LongSupplier clock,
      Logger log,
      InstanceObservation observation) {
    this.observation = observation;
    this.clock = clock;
    this.key = key;
    this.requestLimit = requestLimit;
    this.initializeLimit = initializeLimit;
    this.log = log;
  }

  /** A reload changed the key's request timeout: requests in flight are measured against it too. */
  void requestLimit(Duration limit) {
    requestLimit = limit;
  }

  Duration initializeLimit() {
    return initializeLimit;
  }

  /** Times out what is overdue; true when an initialize is overdue (the child did not come up). */
  boolean check(SessionRouting routing, SessionRouting.Recipients recipients) {
    long now = clock.getAsLong();
    for (SessionRouting.InFlight request : routing.inFlightRequests()) {
      long waited = now - request.sentAtNanos();
      boolean initialize = "initialize".equals(request.method());
      if (initialize && waited > initializeLimit.toNanos()) {
        return true;
      }
      if (!initialize && !request.waitsForClient() && waited > requestLimit.toNanos()) {
        timeOut(request, routing, recipients);
      }
    }
    return false;
  }

  /** The client gets an error now; the child is told to stop working on it. */
  private void timeOut(
      SessionRouting.InFlight request,
      SessionRouting routing,
      SessionRouting.Recipients recipients) {
    log.warn(
        "key={} request {} ({}) unanswered after {}; cancelled",
        key,
        request.childSideId(),
        request.method(),
        requestLimit);
    observation.failing(Outcome.TIMEOUT);
    routing.fromChild(
        JsonRpcMessage.failure(
            request.childSideId(),
            ServerErrors.requestTimeout(key, request.method(), requestLimit.toMillis())),
        recipients);
    observation.doneFailing();
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.set("requestId", request.childSideId());
    params.put("reason", "mcprouter request timeout");
    recipients.toChild(new JsonRpcMessage.Notification("notifications/cancelled", params));
  }
}
