package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.ClientOptions;
import dev.switchboard.sbctl.manifest.Manifest;
import java.util.ArrayList;
import java.util.List;

/** kubectl's namespace rule for manifests: -n fills in, but never overrides, a namespace. */
final class Namespaces {
  private Namespaces() {}

  static List<Manifest> resolve(
      List<Manifest> manifests, ClientOptions client, List<String> errors) {
    List<Manifest> result = new ArrayList<>();
    for (Manifest m : manifests) {
      if (m.namespace().isEmpty()) {
        result.add(m.withNamespace(client.namespace()));
      } else if (client.namespaceGiven() && !m.namespace().equals(client.namespace())) {
        errors.add(
            m.where()
                + ": the namespace from the provided object \""
                + m.namespace()
                + "\" does not match the namespace \""
                + client.namespace()
                + "\". You must pass"
                + " '--namespace="
                + m.namespace()
                + "' to perform this operation.");
      } else {
        result.add(m);
      }
    }
    return result;
  }
}
