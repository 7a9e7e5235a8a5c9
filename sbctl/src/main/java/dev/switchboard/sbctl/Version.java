package dev.switchboard.sbctl;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The client's version, from the build (a filtered resource). */
public final class Version {
  private Version() {}

  public static String client() {
    try (InputStream in = Version.class.getResourceAsStream("/sbctl-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** For {@code sbctl --version}. */
  public static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sbctl " + client()};
    }
  }
}
