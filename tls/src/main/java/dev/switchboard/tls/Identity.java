package dev.switchboard.tls;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Who a verified client certificate says its holder is, the Kubernetes way: the subject's CN names
 * the holder and its O the group. A node agent's certificate is {@code CN=system:node:<node>,
 * O=switchboard:nodes} (as kubelets' are {@code system:node:<node>} in {@code system:nodes}); a
 * load balancer's is {@code CN=system:switchboard:lb:<name>, O=switchboard:load-balancers}.
 *
 * @param kind what the holder is
 * @param name the node's or load balancer's name
 */
public record Identity(Kind kind, String name) {
  public static final String NODE_PREFIX = "system:node:";
  public static final String NODES_GROUP = "switchboard:nodes";
  public static final String LB_PREFIX = "system:switchboard:lb:";
  public static final String LBS_GROUP = "switchboard:load-balancers";

  /** The two kinds of subscriber a certificate can name. */
  public enum Kind {
    NODE,
    LOAD_BALANCER
  }

  public Identity {
    Objects.requireNonNull(kind, "kind");
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name: \"" + name + "\" (expected: a non-empty name)");
    }
  }

  public static Identity node(String name) {
    return new Identity(Kind.NODE, name);
  }

  public static Identity loadBalancer(String name) {
    return new Identity(Kind.LOAD_BALANCER, name);
  }

  /** The subject to put in this identity's certificate. */
  public X500Principal subject() {
    return kind == Kind.NODE
        ? subject(NODE_PREFIX + name, NODES_GROUP)
        : subject(LB_PREFIX + name, LBS_GROUP);
  }

  /**
   * The identity a (verified) certificate names; empty when its subject is neither a node's nor a
   * load balancer's (CN prefix and O must both match: a CN alone is not enough).
   */
  public static Optional<Identity> of(X509Certificate certificate) {
    String cn = null;
    List<String> orgs = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        } else if (rdn.getType().equalsIgnoreCase("O")) {
          orgs.add(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    if (cn == null) {
      return Optional.empty();
    }
    if (cn.startsWith(NODE_PREFIX)
        && orgs.contains(NODES_GROUP)
        && cn.length() > NODE_PREFIX.length()) {
      return Optional.of(node(cn.substring(NODE_PREFIX.length())));
    }
    if (cn.startsWith(LB_PREFIX) && orgs.contains(LBS_GROUP) && cn.length() > LB_PREFIX.length()) {
      return Optional.of(loadBalancer(cn.substring(LB_PREFIX.length())));
    }
    return Optional.empty();
  }

  /** {@code CN=..., O=...}, each value escaped as RFC 4514 wants. */
  public static X500Principal subject(String commonName, String organization) {
    return new X500Principal(
        "CN=" + Rdn.escapeValue(commonName) + ",O=" + Rdn.escapeValue(organization));
  }

  @Override
  public String toString() {
    return kind == Kind.NODE ? NODE_PREFIX + name : LB_PREFIX + name;
  }
}
