package io.mcprouter.http;

import static akka.http.javadsl.server.Directives.handle;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Route;
import java.util.concurrent.CompletionStage;

/**
 * Completes a request with a response still to come. Why not the Java DSL's {@code onSuccess}: it
 * continues on Scala's global thread pool, a pool of its own beside Akka's on every POST; {@code
 * completeWithFuture} goes through response marshalling. Build the response with {@code
 * thenApplyAsync} on the actor system's dispatcher: building it on the answering actor's thread
 * instead (plain {@code thenApply}) slowed the shared server actor, which every session of a key
 * goes through, and cut throughput by more than half.
 */
public final class FutureResponse {

  private FutureResponse() {}

  public static Route complete(CompletionStage<HttpResponse> response) {
    return handle(request -> response);
  }
}
