package io.mcprouter.control;

import io.mcprouter.http.ApiResult;

import java.util.concurrent.CompletionStage;

/**
 * Operator actions on running MCP servers. Local when the servers run in this JVM ({@code proxy},
 * {@code serve}); remote, through the proxy's /admin endpoints, when {@code api} runs on its own.
 */
public interface ServerControl {

  /** {@code data.servers}: one entry per running child. */
  CompletionStage<ApiResult> listRunning();

  CompletionStage<ApiResult> stop(String key, boolean force);
}
