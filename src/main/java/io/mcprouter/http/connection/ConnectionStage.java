package io.mcprouter.http.connection;

import akka.stream.Attributes;
import akka.stream.BidiShape;
import akka.stream.Inlet;
import akka.stream.Outlet;
import akka.stream.TLSProtocol;
import akka.stream.scaladsl.TLSPlacebo$;
import akka.stream.stage.AbstractInHandler;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.AsyncCallback;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.util.ByteString;
import java.util.ArrayDeque;
import javax.net.ssl.SSLSession;

/**
 * Sits between a TCP connection and Akka HTTP's server layer (in place of the TLS placebo that
 * plain HTTP would use) and watches the connection's inbound bytes.
 *
 * <p>It keeps reading from TCP whatever the HTTP layer wants (buffering a few chunks for it), so
 * the peer's FIN or RST is seen as soon as it arrives: the HTTP layer reads nothing while it
 * streams a response, and Akka's TCP stage reads only on demand, so without this a client that
 * vanished during an SSE stream was noticed only when a keep-alive write failed. It also closes the
 * connection when the limits ask it to ({@link ClientConnection#close}).
 */
final class ConnectionStage
    extends GraphStage<
        BidiShape<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound>> {

  /**
   * Chunks read ahead of the HTTP layer; a client sending faster than that is back-pressured as
   * before.
   */
  private static final int READ_AHEAD = 4;

  private static final SSLSession NO_SESSION = TLSPlacebo$.MODULE$.dummySession();

  private final Inlet<TLSProtocol.SslTlsOutbound> fromHttp =
      Inlet.create("ConnectionStage.fromHttp");
  private final Outlet<ByteString> toTcp = Outlet.create("ConnectionStage.toTcp");
  private final Inlet<ByteString> fromTcp = Inlet.create("ConnectionStage.fromTcp");
  private final Outlet<TLSProtocol.SslTlsInbound> toHttp = Outlet.create("ConnectionStage.toHttp");
  private final BidiShape<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound>
      shape = BidiShape.of(fromHttp, toTcp, fromTcp, toHttp);
  private final ClientConnection connection;

  ConnectionStage(ClientConnection connection) {
    this.connection = connection;
  }

  @Override
  public BidiShape<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound>
      shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<ByteString> readAhead = new ArrayDeque<>(READ_AHEAD);
      private boolean peerFinished;

      {
        setHandler(
            fromTcp,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                connection.bytesReceived();
                ByteString bytes = grab(fromTcp);
                if (isAvailable(toHttp)) {
                  push(toHttp, new TLSProtocol.SessionBytes(NO_SESSION, bytes));
                } else {
                  readAhead.add(bytes);
                }
                readMore();
              }

              @Override
              public void onUpstreamFinish() {
                peerFinished = true;
                connection.markClosed();
                if (readAhead.isEmpty()) {
                  complete(toHttp);
                }
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                connection.markClosed();
                fail(toHttp, ex);
              }
            });
        setHandler(
            toHttp,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                ByteString next = readAhead.poll();
                if (next != null) {
                  push(toHttp, new TLSProtocol.SessionBytes(NO_SESSION, next));
                }
                if (peerFinished && readAhead.isEmpty()) {
                  complete(toHttp);
                } else {
                  readMore();
                }
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromTcp, cause);
              }
            });
        setHandler(
            fromHttp,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                if (grab(fromHttp) instanceof TLSProtocol.SendBytes send) {
                  push(toTcp, send.bytes());
                } else {
                  pull(fromHttp); // a session renegotiation means nothing without TLS
                }
              }

              @Override
              public void onUpstreamFinish() {
                complete(toTcp);
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                fail(toTcp, ex);
              }
            });
        setHandler(
            toTcp,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(fromHttp);
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                connection.markClosed();
                cancel(fromHttp, cause);
              }
            });
      }

      @Override
      public void preStart() {
        AsyncCallback<String> close =
            createAsyncCallback(
                reason -> {
                  connection.markClosed();
                  completeStage();
                });
        connection.bindCloser(close::invoke);
        pull(fromTcp);
      }

      @Override
      public void postStop() {
        connection.markClosed();
      }

      private void readMore() {
        if (readAhead.size() < READ_AHEAD && !hasBeenPulled(fromTcp) && !isClosed(fromTcp)) {
          pull(fromTcp);
        }
      }
    };
  }
}
