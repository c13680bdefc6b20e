package io.mcprouter.http.connection;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.event.LoggingAdapter;
import akka.http.impl.engine.server.GracefulTerminatorStage$;
import akka.http.impl.engine.server.MasterServerTerminator;
import akka.http.impl.engine.server.ServerTerminator;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.Connection;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.ResponseEntity;
import akka.http.scaladsl.settings.ServerSettings;
import akka.japi.function.Function;
import akka.stream.javadsl.BidiFlow;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Tcp;
import akka.util.ByteString;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;

/**
 * An HTTP/1.1 server bound through the connection-level API, built the way Akka HTTP's own {@code
 * bindAndHandle} builds one (graceful terminator atop the server layer, one materialization per
 * connection, connections registered for {@code ServerBinding.terminate}), with two differences:
 * {@link ConnectionStage} takes the TLS placebo's place, so a vanished peer is noticed at once and
 * the limits can close a connection; and every request carries its {@link ClientConnection}.
 */
public final class ConnectionServer {

  private ConnectionServer() {}

  public static CompletionStage<ServerBinding> bind(
      String host, int port, Route route, Connections connections, ActorSystem<?> system) {
    akka.actor.ActorSystem classic = Adapter.toClassic(system);
    ServerSettings settings =
        akka.http.scaladsl.settings.ServerSettings$.MODULE$.apply(system.settings().config());
    LoggingAdapter log = classic.log();
    ExecutionContext ec = system.executionContext();
    Function<HttpRequest, CompletionStage<HttpResponse>> handler = route.handler(system);
    MasterServerTerminator master = new MasterServerTerminator(log);
    return Tcp.get(classic)
        // the TCP idle timeout stays off, as in Akka HTTP: the limits apply their own
        .bind(host, port, settings.backlog(), settings.getSocketOptions(), false, Optional.empty())
        .mapAsyncUnordered(
            connections.acceptBound(),
            incoming -> serve(incoming, handler, settings, log, master, connections, system))
        .toMat(Sink.ignore(), Keep.left())
        .run(system)
        .thenApply(
            tcp ->
                new ServerBinding(
                    new akka.http.scaladsl.Http.ServerBinding(
                        tcp.localAddress(),
                        () ->
                            FutureConverters.asScala(
                                tcp.unbind().thenApply(done -> BoxedUnit.UNIT)),
                        timeout -> master.terminate(timeout, ec))));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static CompletionStage<Done> serve(
      Tcp.IncomingConnection incoming,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      ServerSettings settings,
      LoggingAdapter log,
      MasterServerTerminator master,
      Connections connections,
      ActorSystem<?> system) {
    ClientConnection connection = connections.opened(incoming.remoteAddress());
    // scaladsl request and response types are the javadsl ones' implementations
    BidiFlow<HttpResponse, HttpResponse, HttpRequest, HttpRequest, ServerTerminator> terminator =
        (BidiFlow)
            GracefulTerminatorStage$.MODULE$.apply(Adapter.toClassic(system), settings).asJava();
    BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, ServerTerminator> layer =
        terminator
            .atop(
                Http.get(system).serverLayer(settings, Optional.of(incoming.remoteAddress()), log))
            .atop(BidiFlow.fromGraph(new ConnectionStage(connection)));
    Flow<HttpRequest, HttpResponse, NotUsed> requests =
        Flow.of(HttpRequest.class)
            .mapAsync(
                settings.getPipeliningLimit(),
                request -> handle(request, connection, handler, connections));
    try {
      return incoming
          .handleWith(
              requests
                  .joinMat(layer, Keep.right())
                  .watchTermination(
                      (terminatorOfConnection, done) -> {
                        master.registerConnection(
                            terminatorOfConnection, system.executionContext());
                        // Scala's future: without an executor, a new thread per connection on 2
                        // cores
                        done.whenCompleteAsync(
                            (ok, failure) -> {
                              master.removeConnection(terminatorOfConnection);
                              connections.closed(connection);
                              connection.markClosed();
                            },
                            Runnable::run);
                        return done;
                      })
                  .addAttributes(
                      akka.http.scaladsl.Http$.MODULE$.cancellationStrategyAttributeForDelay(
                          settings.streamCancellationDelay())),
              system)
          // a TCP error ends this connection, never the binding (as in Akka HTTP, akka/akka#17992)
          .handleAsync((ok, failure) -> Done.getInstance(), Runnable::run);
    } catch (RuntimeException e) {
      connections.closed(connection);
      log.error(e, "Could not materialize handling flow for {}", incoming.remoteAddress());
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static akka.stream.scaladsl.Flow<ByteString, ByteString, Object> watch(
      ClientConnection connection) {
    return (akka.stream.scaladsl.Flow)
        akka.stream.scaladsl.Flow.fromGraph(new ResponseWatch(connection));
  }

  private static CompletionStage<HttpResponse> handle(
      HttpRequest request,
      ClientConnection connection,
      Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      Connections connections)
      throws Exception {
    connection.requestStarted();
    if (connection.rejected()) {
      connection.requestFinished();
      return CompletableFuture.completedFuture(
          ErrorHandling.jsonRpcError(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  new JsonRpcError(JsonRpcError.UNAVAILABLE, connections.refusal()))
              .addHeader(Connection.create("close")));
    }
    // the route's answer is Scala's CompletableFuture, whose thenApply is thenApplyAsync on the
    // common pool:
    // on 2 cores that pool is a new thread per task (a thread per request). Run on the completing
    // thread.
    return handler
        .apply(request.addAttribute(ClientConnection.KEY, connection))
        .thenApplyAsync(
            response -> {
              if (response.entity().isStrict()) {
                connection.requestFinished();
                return response;
              }
              ResponseEntity entity = (ResponseEntity) response.entity();
              return response.withEntity(entity.transformDataBytes(watch(connection)));
            },
            Runnable::run);
  }
}
