package io.mcprouter.control;

import io.mcprouter.server.ServerInstance;
import java.util.List;

/** The answer to "which children are running": the list, or why it could not be had. */
public sealed interface ServerListing permits ServerListing.Running, ControlFailure {

  /**
   * One entry per running child (a key with one child per session has several), as the instance
   * reports itself.
   */
  record Running(List<ServerInstance.Status> servers) implements ServerListing {
    public Running {
      servers = List.copyOf(servers);
    }
  }
}
