package dev.switchboard.forwarder;

/** Transport protocol of a listener, as in a Kubernetes ServicePort. */
public enum Protocol {
  TCP,
  UDP
}
