package io.mcprouter.http.connection;

import akka.Done;
import akka.stream.Attributes;
import akka.stream.FlowShape;
import akka.stream.Inlet;
import akka.stream.Outlet;
import akka.stream.stage.AbstractInHandler;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.AsyncCallback;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.util.ByteString;

/**
 * Wraps a streamed response body: the request counts as in progress until the body has ended (so no
 * timeout cuts an SSE stream or a long answer), and the body ends as soon as its connection is gone
 * (Akka HTTP would keep running it until a write failed).
 */
final class ResponseWatch extends GraphStage<FlowShape<ByteString, ByteString>> {

  private final Inlet<ByteString> in = Inlet.create("ResponseWatch.in");
  private final Outlet<ByteString> out = Outlet.create("ResponseWatch.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final ClientConnection connection;

  ResponseWatch(ClientConnection connection) {
    this.connection = connection;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private ClientConnection.Registration registration;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                push(out, grab(in));
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pull(in);
              }
            });
      }

      @Override
      public void preStart() {
        AsyncCallback<Done> gone = createAsyncCallback(done -> completeStage());
        registration = connection.onClose(() -> gone.invoke(Done.getInstance()));
      }

      @Override
      public void postStop() {
        registration.cancel();
        connection.requestFinished();
      }
    };
  }
}
