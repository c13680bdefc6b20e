package io.mcprouter.transport.streamable;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import akka.util.ByteString;
import io.mcprouter.http.SseEncoding;
import io.mcprouter.http.SseEventQueue;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.session.OutputBudget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP response of one modern request, written by its {@link ModernCall}: one JSON answer, or
 * an SSE stream once there is something to send before the answer (progress, a log message, a
 * listen's notifications). The stream starts only then, so an error answered before anything else
 * still gets its HTTP status (400 for a missing capability, 404 for an unknown method).
 *
 * <p>Written only by the call's actor; {@link #closed()} is read from the stream's thread.
 */
final class ModernResponse {

  private final ActorSystem<?> system;
  private final boolean acceptsSse;
  private final boolean acceptsJson;
  private final int maxEvents;
  private final long maxBytes;
  private final Duration keepAlive;
  private final OutputBudget budget;
  private final CompletableFuture<HttpResponse> http = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private SseEventQueue stream;
  private OutputBudget.Account account;

  ModernResponse(
      ActorSystem<?> system,
      boolean acceptsSse,
      boolean acceptsJson,
      int maxEvents,
      long maxBytes,
      Duration keepAlive,
      OutputBudget budget) {
    this.system = system;
    this.acceptsSse = acceptsSse;
    this.acceptsJson = acceptsJson;
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.keepAlive = keepAlive;
    this.budget = budget;
  }

  CompletionStage<HttpResponse> http() {
    return http;
  }

  /** Completes when the client can no longer be written to: its stream ended or was refused. */
  CompletionStage<Void> closed() {
    return closed;
  }

  boolean streaming() {
    return stream != null;
  }

  /**
   * Sends a message ahead of the answer; false when the client takes only JSON (it is dropped) or
   * its stream is full or gone (the caller ends the request).
   */
  boolean stream(JsonRpcMessage message) {
    if (stream == null) {
      if (!acceptsSse) {
        return true; // a JSON-only client gets the answer alone
      }
      start();
    }
    return stream.offer(event(message)) == SseEventQueue.Offered.ENQUEUED;
  }

  /** The final answer; on a stream it is the last event. */
  void answer(JsonRpcMessage.Response response) {
    finish(response.isError() ? ModernAnswers.httpStatus(response.error()) : 200, response);
  }

  /** An answer the router makes (the server unavailable, gone, not answering), with its status. */
  void fail(int status, JsonRpcMessage.Response response) {
    finish(status, response);
  }

  private void finish(int status, JsonRpcMessage.Response response) {
    if (stream == null && (acceptsJson || !acceptsSse)) {
      http.complete(
          HttpResponse.create()
              .withStatus(StatusCodes.get(status))
              .withEntity(
                  HttpEntities.create(
                      ContentTypes.APPLICATION_JSON, JsonRpcCodec.encodeBytes(response))));
      closed.complete(null);
      return;
    }
    if (stream == null) {
      start();
    }
    stream.offer(event(response));
    stream.complete();
  }

  /** Ends the stream without an answer (the client is gone, or the router is stopping). */
  void end() {
    if (stream != null) {
      stream.complete();
    } else if (!http.isDone()) {
      closed.complete(null);
    }
  }

  private void start() {
    account = budget.open(reason -> stream.abort());
    stream = new SseEventQueue(system, maxEvents, maxBytes, keepAlive, account);
    stream
        .terminated()
        .whenComplete(
            (done, failure) -> {
              account.done();
              closed.complete(null);
            });
    http.complete(
        HttpResponse.create()
            .withHeaders(List.of(CacheControl.create(CacheDirectives.NO_CACHE)))
            .withEntity(
                HttpEntities.create(
                    ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), stream.source())));
  }

  private static ByteString event(JsonRpcMessage message) {
    return SseEncoding.jsonEvent("message", null, JsonRpcCodec.encodeBytes(message));
  }
}
