package io.mcprouter.control;

import io.mcprouter.server.ServerInstance.StopMode;
import java.util.concurrent.CompletionStage;

/**
 * Operator actions on running MCP servers. Local when the servers run in this JVM ({@code proxy},
 * {@code serve}); remote, through the proxy's /admin endpoints, when {@code api} runs on its own.
 * The answers are records; /v1 and /admin render them (api/ControlAnswers).
 */
public interface ServerControl {

  CompletionStage<ServerListing> listRunning();

  CompletionStage<StopOutcome> stop(String key, StopMode mode);
}
