package io.mcprouter.config;

import java.util.function.Supplier;

/**
 * The configuration in force. The routes read it on every request (known keys, credentials,
 * listings); a reload replaces it whole. Only the server registry replaces it, once it has applied
 * the change to its servers, so a route never admits a key the registry does not know yet.
 */
public final class LiveConfig implements Supplier<RouterConfig> {

  private volatile RouterConfig current;

  public LiveConfig(RouterConfig initial) {
    this.current = initial;
  }

  @Override
  public RouterConfig get() {
    return current;
  }

  public void set(RouterConfig next) {
    current = next;
  }
}
