package io.mcprouter.child;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceConfigurator;
import akka.dispatch.ExecutorServiceFactory;
import com.typesafe.config.Config;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The executor of {@code mcprouter.blocking-dispatcher}: a thread per blocked pipe, created only
 * when every thread is busy and reused otherwise (most recently idle first, so its caches are
 * warm).
 *
 * <p>Akka's {@code thread-pool-executor} with a fixed size starts a new thread for every task until
 * the size is reached, so under load a router grew to its full 512 threads within seconds and every
 * stream hop woke a different, cold one. Pipe reads hold their thread for as long as the child
 * runs, so the pool cannot be small either: it grows with the children and shrinks when they are
 * gone.
 */
public final class BlockingIoExecutor extends ExecutorServiceConfigurator {

  private final int maxThreads;
  private final long keepAliveMillis;

  public BlockingIoExecutor(Config config, DispatcherPrerequisites prerequisites) {
    super(config, prerequisites);
    Config own = config.getConfig("blocking-io-executor");
    this.maxThreads = own.getInt("max-threads");
    this.keepAliveMillis = own.getDuration("keep-alive-time", TimeUnit.MILLISECONDS);
  }

  @Override
  public ExecutorServiceFactory createExecutorServiceFactory(
      String id, ThreadFactory threadFactory) {
    return () ->
        new ThreadPoolExecutor(
            0,
            maxThreads,
            keepAliveMillis,
            TimeUnit.MILLISECONDS,
            new SynchronousQueue<>(),
            threadFactory);
  }
}
