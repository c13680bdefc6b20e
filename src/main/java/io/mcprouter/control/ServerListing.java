package io.mcprouter.control;

import java.util.List;

/** The answer to "which children are running": the list, or why it could not be had. */
public sealed interface ServerListing permits ServerListing.Running, ControlFailure {

  /** One entry per running child (a key with one child per session has several). */
  record Running(List<RunningServer> servers) implements ServerListing {
    public Running {
      servers = List.copyOf(servers);
    }
  }
}
