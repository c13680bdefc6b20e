package io.mcprouter.child;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The operating-system side of one running MCP server, as its actor sees it: the process, its stdin,
 * and signals to its whole tree. Used only from the owning actor's thread; signals are sent from the
 * blocking dispatcher because finding a process group scans /proc.
 */
public final class ChildProcess {

  private final Process process;
  /** The {@link ChildMarkers} instance this launch carries: how its escaped descendants are found. */
  private final String instance;
  private final StdioConnection.Handle stdio;
  private final Executor blocking;

  public ChildProcess(Process process, String instance, StdioConnection.Handle stdio, Executor blocking) {
    this.process = process;
    this.instance = instance;
    this.stdio = stdio;
    this.blocking = blocking;
  }

  public java.util.concurrent.CompletionStage<akka.Done> stderrDone() {
    return stdio.stderrDone();
  }

  public long pid() {
    return process.pid();
  }

  /** False when the stdin buffer is full or closed: the caller answers for the message. */
  public boolean send(JsonRpcMessage message) {
    return stdio.offer(message);
  }

  /** EOF on stdin: the MCP stdio way of asking a server to exit. */
  public void closeStdin() {
    stdio.closeStdin();
  }

  /**
   * SIGTERM (or SIGKILL when {@code forcibly}) to the process group, every process carrying this launch's
   * marker and their descendants, off-thread.
   */
  public void signal(boolean forcibly) {
    long pid = process.pid();
    CompletableFuture.runAsync(() -> ProcessTree.signal(pid, instance, forcibly), blocking);
  }

  /**
   * Last line of defence when the actor ends for any reason: nothing may outlive it. Synchronous on
   * purpose (a /proc scan, once per child lifetime): at router shutdown the blocking dispatcher may
   * already be gone, and an asynchronous kill that never runs would leave an orphan.
   */
  public void release() {
    stdio.closeStdin();
    ProcessTree.signal(process.pid(), instance, true);
  }
}
