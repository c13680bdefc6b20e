package io.mcprouter.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the directory of the config file (a file cannot be watched by itself, and editors replace
 * files by renaming) on a daemon thread of its own: {@link WatchService#take} blocks for as long as
 * nothing changes, which must not hold an actor's or the blocking dispatcher's thread. A change is
 * reported once the directory has been quiet for the debounce time, so an editor's several writes
 * are one reload. Events for other files are ignored, except Kubernetes' {@code ..data} symlink
 * swap of a mounted ConfigMap; the reloader compares the content, so a touch does nothing.
 */
final class ConfigWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  private final WatchService service;
  private final Thread thread;

  private ConfigWatcher(WatchService service, Thread thread) {
    this.service = service;
    this.thread = thread;
  }

  /** Null when the directory cannot be watched (logged): reload then answers SIGHUP and /admin. */
  static ConfigWatcher start(Path file, Duration debounce, Runnable onChange) {
    Path directory = file.toAbsolutePath().getParent();
    Path name = file.getFileName();
    WatchService service;
    try {
      service = FileSystems.getDefault().newWatchService();
      directory.register(
          service,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot watch {} for changes ({}); reload with SIGHUP or POST /admin/reload",
          file,
          e.toString());
      return null;
    }
    Thread thread =
        new Thread(() -> watch(service, name, debounce, onChange), "mcprouter-config-watcher");
    thread.setDaemon(true);
    thread.start();
    log.info("watching {} for changes", file);
    return new ConfigWatcher(service, thread);
  }

  private static void watch(WatchService service, Path name, Duration debounce, Runnable onChange) {
    try {
      while (true) {
        if (!relevant(service.take(), name)) {
          continue;
        }
        // quiet for the debounce time: every further event starts the wait again
        WatchKey more;
        while ((more = service.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
          relevant(more, name);
        }
        onChange.run();
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: the reloader stopped
    }
  }

  /** Whether the key's events touch the config file; the key is reset for further events. */
  private static boolean relevant(WatchKey key, Path name) {
    boolean relevant = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
        relevant = true;
      } else if (event.context() instanceof Path changed) {
        relevant |= changed.equals(name) || changed.toString().startsWith("..");
      }
    }
    key.reset();
    return relevant;
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      log.debug("closing the config watcher: {}", e.toString());
    }
    thread.interrupt();
  }
}
