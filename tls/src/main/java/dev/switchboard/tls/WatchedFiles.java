package dev.switchboard.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A value read from files, read again by {@link #reloadIfChanged()} when any of them changed
 * (modification time, size or inode: an atomic rename changes the inode even within the same
 * millisecond). A failed read keeps the current value, so a half-written rotation never replaces a
 * working one.
 */
final class WatchedFiles<T> {
  private static final Logger log = LoggerFactory.getLogger(WatchedFiles.class);

  /** Reads the value; fails naming the file. */
  interface Loader<T> {
    T load() throws IOException;
  }

  private record Loaded<T>(T value, String stamp) {}

  private final List<Path> files;
  private final Loader<T> loader;

  /** Replaced whole by the reloading thread; read by handshakes on any thread. */
  private volatile Loaded<T> current;

  /** Reads now: a missing or bad file fails here. */
  WatchedFiles(List<Path> files, Loader<T> loader) throws IOException {
    this.files = List.copyOf(files);
    this.loader = loader;
    String stamp = stamp();
    this.current = new Loaded<>(loader.load(), stamp);
  }

  T get() {
    return current.value();
  }

  boolean reloadIfChanged() {
    try {
      String stamp = stamp();
      if (stamp.equals(current.stamp())) {
        return false;
      }
      current = new Loaded<>(loader.load(), stamp);
      log.info("reloaded {}", files);
      return true;
    } catch (IOException e) {
      log.warn("keeping what {} held: {}", files, e.getMessage());
      return false;
    }
  }

  private String stamp() throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path p : files) {
      BasicFileAttributes a = Pem.attributes(p);
      b.append(a.lastModifiedTime().toMillis())
          .append('/')
          .append(a.size())
          .append('/')
          .append(a.fileKey())
          .append(';');
    }
    return b.toString();
  }
}
