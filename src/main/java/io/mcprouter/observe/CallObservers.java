package io.mcprouter.observe;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;

/**
 * Several consumers of calls as one, in order (a tracer first, so the call log sees its trace id).
 */
final class CallObservers implements CallObserver {

  private final CallObserver[] observers;

  private CallObservers(List<CallObserver> observers) {
    this.observers = observers.toArray(new CallObserver[0]);
  }

  /** Null for none, the one itself for one. */
  static CallObserver of(List<CallObserver> observers) {
    return switch (observers.size()) {
      case 0 -> null;
      case 1 -> observers.get(0);
      default -> new CallObservers(observers);
    };
  }

  @Override
  public void started(Call call) {
    for (CallObserver o : observers) {
      o.started(call);
    }
  }

  @Override
  public void started(Call call, JsonRpcMessage.Request request) {
    for (CallObserver o : observers) {
      o.started(call, request);
    }
  }

  @Override
  public void answered(
      Call call,
      Outcome outcome,
      int errorCode,
      JsonRpcMessage.Response response,
      long bytesOut,
      long durationNanos) {
    for (CallObserver o : observers) {
      o.answered(call, outcome, errorCode, response, bytesOut, durationNanos);
    }
  }
}
